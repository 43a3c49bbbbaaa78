from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from manifold.workflows.v1 import chain_pb2 as _chain_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

APPROVAL_DECISION_APPROVED: ApprovalDecision
APPROVAL_DECISION_REJECTED: ApprovalDecision
APPROVAL_DECISION_TIMED_OUT_APPROVED: ApprovalDecision
APPROVAL_DECISION_TIMED_OUT_REJECTED: ApprovalDecision
APPROVAL_DECISION_UNSPECIFIED: ApprovalDecision
DESCRIPTOR: _descriptor.FileDescriptor
RUN_STATUS_CANCELLED: RunStatus
RUN_STATUS_FAILED: RunStatus
RUN_STATUS_PENDING: RunStatus
RUN_STATUS_REJECTED: RunStatus
RUN_STATUS_RUNNING: RunStatus
RUN_STATUS_SUCCEEDED: RunStatus
RUN_STATUS_TIMED_OUT: RunStatus
RUN_STATUS_UNSPECIFIED: RunStatus
RUN_STATUS_WAITING_FOR_APPROVAL: RunStatus
STEP_KIND_APPROVAL: StepKind
STEP_KIND_MODEL_CALL: StepKind
STEP_KIND_TOOL_LOOP: StepKind
STEP_KIND_TRANSFORM: StepKind
STEP_KIND_UNSPECIFIED: StepKind
STEP_STATUS_CANCELLED: StepStatus
STEP_STATUS_FAILED: StepStatus
STEP_STATUS_REJECTED: StepStatus
STEP_STATUS_RUNNING: StepStatus
STEP_STATUS_SUCCEEDED: StepStatus
STEP_STATUS_TIMED_OUT: StepStatus
STEP_STATUS_UNSPECIFIED: StepStatus
STEP_STATUS_WAITING_FOR_APPROVAL: StepStatus

class ApprovalRecord(_message.Message):
    __slots__ = ["comment", "decided_at", "decided_by", "decision", "digest", "escalated", "tool_call"]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    comment: str
    decided_at: _timestamp_pb2.Timestamp
    decided_by: str
    decision: ApprovalDecision
    digest: str
    escalated: bool
    tool_call: _mcp_pb2.ToolCall
    def __init__(self, digest: _Optional[str] = ..., tool_call: _Optional[_Union[_mcp_pb2.ToolCall, _Mapping]] = ..., decision: _Optional[_Union[ApprovalDecision, str]] = ..., decided_by: _Optional[str] = ..., comment: _Optional[str] = ..., decided_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., escalated: bool = ...) -> None: ...

class PendingApproval(_message.Message):
    __slots__ = ["approvers", "chain_name", "chain_version", "deadline", "digest", "escalated", "instructions", "on_timeout", "requested_at", "run_id", "step_id", "tool_call", "value"]
    APPROVERS_FIELD_NUMBER: _ClassVar[int]
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    CHAIN_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    ON_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    approvers: _chain_pb2.Approvers
    chain_name: str
    chain_version: int
    deadline: _timestamp_pb2.Timestamp
    digest: str
    escalated: bool
    instructions: str
    on_timeout: _chain_pb2.ApprovalTimeoutAction
    requested_at: _timestamp_pb2.Timestamp
    run_id: str
    step_id: str
    tool_call: _mcp_pb2.ToolCall
    value: _struct_pb2.Value
    def __init__(self, run_id: _Optional[str] = ..., chain_name: _Optional[str] = ..., chain_version: _Optional[int] = ..., step_id: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., tool_call: _Optional[_Union[_mcp_pb2.ToolCall, _Mapping]] = ..., digest: _Optional[str] = ..., instructions: _Optional[str] = ..., approvers: _Optional[_Union[_chain_pb2.Approvers, _Mapping]] = ..., escalated: bool = ..., requested_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., on_timeout: _Optional[_Union[_chain_pb2.ApprovalTimeoutAction, str]] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ["chain_label", "chain_name", "chain_version", "created_at", "deadline", "ended_at", "error", "id", "idempotency_key", "input", "metadata", "output", "pending_approvals", "started_by", "status", "steps", "usage"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CHAIN_LABEL_FIELD_NUMBER: _ClassVar[int]
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    CHAIN_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    PENDING_APPROVALS_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    chain_label: str
    chain_name: str
    chain_version: int
    created_at: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    error: _mcp_pb2.ErrorDetail
    id: str
    idempotency_key: str
    input: _struct_pb2.Struct
    metadata: _containers.ScalarMap[str, str]
    output: _struct_pb2.Value
    pending_approvals: _containers.RepeatedCompositeFieldContainer[PendingApproval]
    started_by: str
    status: RunStatus
    steps: _containers.RepeatedCompositeFieldContainer[StepRun]
    usage: _mcp_pb2.Usage
    def __init__(self, id: _Optional[str] = ..., chain_name: _Optional[str] = ..., chain_version: _Optional[int] = ..., chain_label: _Optional[str] = ..., status: _Optional[_Union[RunStatus, str]] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[StepRun, _Mapping]]] = ..., pending_approvals: _Optional[_Iterable[_Union[PendingApproval, _Mapping]]] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ..., error: _Optional[_Union[_mcp_pb2.ErrorDetail, _Mapping]] = ..., started_by: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunStatusChange(_message.Message):
    __slots__ = ["error", "output", "status", "usage"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    error: _mcp_pb2.ErrorDetail
    output: _struct_pb2.Value
    status: RunStatus
    usage: _mcp_pb2.Usage
    def __init__(self, status: _Optional[_Union[RunStatus, str]] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[_Union[_mcp_pb2.ErrorDetail, _Mapping]] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ...) -> None: ...

class StepApprovalDecision(_message.Message):
    __slots__ = ["approval", "step_id"]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    approval: ApprovalRecord
    step_id: str
    def __init__(self, step_id: _Optional[str] = ..., approval: _Optional[_Union[ApprovalRecord, _Mapping]] = ...) -> None: ...

class StepRun(_message.Message):
    __slots__ = ["approvals", "call_ids", "ended_at", "error", "input", "iterations", "kind", "output", "started_at", "status", "step_id", "tool_invocations", "usage"]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    CALL_IDS_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_INVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    approvals: _containers.RepeatedCompositeFieldContainer[ApprovalRecord]
    call_ids: _containers.RepeatedScalarFieldContainer[str]
    ended_at: _timestamp_pb2.Timestamp
    error: _mcp_pb2.ErrorDetail
    input: _struct_pb2.Value
    iterations: int
    kind: StepKind
    output: _struct_pb2.Value
    started_at: _timestamp_pb2.Timestamp
    status: StepStatus
    step_id: str
    tool_invocations: _containers.RepeatedCompositeFieldContainer[ToolInvocation]
    usage: _mcp_pb2.Usage
    def __init__(self, step_id: _Optional[str] = ..., kind: _Optional[_Union[StepKind, str]] = ..., status: _Optional[_Union[StepStatus, str]] = ..., input: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ..., call_ids: _Optional[_Iterable[str]] = ..., iterations: _Optional[int] = ..., tool_invocations: _Optional[_Iterable[_Union[ToolInvocation, _Mapping]]] = ..., approvals: _Optional[_Iterable[_Union[ApprovalRecord, _Mapping]]] = ..., started_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[_mcp_pb2.ErrorDetail, _Mapping]] = ...) -> None: ...

class StepToolInvocation(_message.Message):
    __slots__ = ["invocation", "step_id"]
    INVOCATION_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    invocation: ToolInvocation
    step_id: str
    def __init__(self, step_id: _Optional[str] = ..., invocation: _Optional[_Union[ToolInvocation, _Mapping]] = ...) -> None: ...

class ToolInvocation(_message.Message):
    __slots__ = ["call", "is_error", "iteration", "latency", "result", "started_at"]
    CALL_FIELD_NUMBER: _ClassVar[int]
    IS_ERROR_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    call: _mcp_pb2.ToolCall
    is_error: bool
    iteration: int
    latency: _duration_pb2.Duration
    result: str
    started_at: _timestamp_pb2.Timestamp
    def __init__(self, iteration: _Optional[int] = ..., call: _Optional[_Union[_mcp_pb2.ToolCall, _Mapping]] = ..., result: _Optional[str] = ..., is_error: bool = ..., started_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RunStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StepStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StepKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ApprovalDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
