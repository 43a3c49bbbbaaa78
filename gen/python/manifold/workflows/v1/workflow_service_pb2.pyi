from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.workflows.v1 import chain_pb2 as _chain_pb2
from manifold.workflows.v1 import run_pb2 as _run_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApproveStepRequest(_message.Message):
    __slots__ = ["comment", "digest", "run_id", "step_id"]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    comment: str
    digest: str
    run_id: str
    step_id: str
    def __init__(self, run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., digest: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class ApproveStepResponse(_message.Message):
    __slots__ = ["approval"]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    approval: _run_pb2.ApprovalRecord
    def __init__(self, approval: _Optional[_Union[_run_pb2.ApprovalRecord, _Mapping]] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ["reason", "run_id"]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    reason: str
    run_id: str
    def __init__(self, run_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: _run_pb2.Run
    def __init__(self, run: _Optional[_Union[_run_pb2.Run, _Mapping]] = ...) -> None: ...

class DeleteChainLabelRequest(_message.Message):
    __slots__ = ["label", "name"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class DeleteChainLabelResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteChainRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteChainResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetChainRequest(_message.Message):
    __slots__ = ["label", "latest", "name", "version"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    label: str
    latest: bool
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ..., version: _Optional[int] = ..., latest: bool = ...) -> None: ...

class GetChainResponse(_message.Message):
    __slots__ = ["chain", "version"]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    chain: _chain_pb2.Chain
    version: _chain_pb2.ChainVersion
    def __init__(self, chain: _Optional[_Union[_chain_pb2.Chain, _Mapping]] = ..., version: _Optional[_Union[_chain_pb2.ChainVersion, _Mapping]] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ["run_id"]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class GetRunResponse(_message.Message):
    __slots__ = ["run"]
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: _run_pb2.Run
    def __init__(self, run: _Optional[_Union[_run_pb2.Run, _Mapping]] = ...) -> None: ...

class ListChainVersionsRequest(_message.Message):
    __slots__ = ["name", "page_size", "page_token"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChainVersionsResponse(_message.Message):
    __slots__ = ["next_page_token", "versions"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    versions: _containers.RepeatedCompositeFieldContainer[_chain_pb2.ChainVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[_chain_pb2.ChainVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListChainsRequest(_message.Message):
    __slots__ = ["name_prefix", "page_size", "page_token"]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name_prefix: str
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., name_prefix: _Optional[str] = ...) -> None: ...

class ListChainsResponse(_message.Message):
    __slots__ = ["chains", "next_page_token"]
    CHAINS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    chains: _containers.RepeatedCompositeFieldContainer[_chain_pb2.Chain]
    next_page_token: str
    def __init__(self, chains: _Optional[_Iterable[_Union[_chain_pb2.Chain, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPendingApprovalsRequest(_message.Message):
    __slots__ = ["approver_role", "chain_name", "mine", "page_size", "page_token", "run_id"]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    MINE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    approver_role: str
    chain_name: str
    mine: bool
    page_size: int
    page_token: str
    run_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., approver_role: _Optional[str] = ..., mine: bool = ..., chain_name: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class ListPendingApprovalsResponse(_message.Message):
    __slots__ = ["approvals", "next_page_token"]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    approvals: _containers.RepeatedCompositeFieldContainer[_run_pb2.PendingApproval]
    next_page_token: str
    def __init__(self, approvals: _Optional[_Iterable[_Union[_run_pb2.PendingApproval, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ["chain_name", "created", "page_size", "page_token", "started_by", "statuses"]
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    chain_name: str
    created: TimeRange
    page_size: int
    page_token: str
    started_by: str
    statuses: _containers.RepeatedScalarFieldContainer[_run_pb2.RunStatus]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., chain_name: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_run_pb2.RunStatus, str]]] = ..., started_by: _Optional[str] = ..., created: _Optional[_Union[TimeRange, _Mapping]] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ["next_page_token", "runs"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    runs: _containers.RepeatedCompositeFieldContainer[_run_pb2.Run]
    def __init__(self, runs: _Optional[_Iterable[_Union[_run_pb2.Run, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PutChainRequest(_message.Message):
    __slots__ = ["base_version", "description", "labels", "message", "name", "spec"]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    base_version: int
    description: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    message: str
    name: str
    spec: _chain_pb2.ChainSpec
    def __init__(self, name: _Optional[str] = ..., spec: _Optional[_Union[_chain_pb2.ChainSpec, _Mapping]] = ..., base_version: _Optional[int] = ..., message: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class PutChainResponse(_message.Message):
    __slots__ = ["chain", "unchanged", "version"]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    chain: _chain_pb2.Chain
    unchanged: bool
    version: _chain_pb2.ChainVersion
    def __init__(self, chain: _Optional[_Union[_chain_pb2.Chain, _Mapping]] = ..., version: _Optional[_Union[_chain_pb2.ChainVersion, _Mapping]] = ..., unchanged: bool = ...) -> None: ...

class RejectStepRequest(_message.Message):
    __slots__ = ["comment", "digest", "run_id", "step_id"]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    comment: str
    digest: str
    run_id: str
    step_id: str
    def __init__(self, run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., digest: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class RejectStepResponse(_message.Message):
    __slots__ = ["approval"]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    approval: _run_pb2.ApprovalRecord
    def __init__(self, approval: _Optional[_Union[_run_pb2.ApprovalRecord, _Mapping]] = ...) -> None: ...

class SetChainLabelRequest(_message.Message):
    __slots__ = ["label", "name", "version"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class SetChainLabelResponse(_message.Message):
    __slots__ = ["label"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: _chain_pb2.ChainLabel
    def __init__(self, label: _Optional[_Union[_chain_pb2.ChainLabel, _Mapping]] = ...) -> None: ...

class StartRunRequest(_message.Message):
    __slots__ = ["chain_name", "idempotency_key", "input", "label", "metadata", "version"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    chain_name: str
    idempotency_key: str
    input: _struct_pb2.Struct
    label: str
    metadata: _containers.ScalarMap[str, str]
    version: int
    def __init__(self, chain_name: _Optional[str] = ..., label: _Optional[str] = ..., version: _Optional[int] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StartRunResponse(_message.Message):
    __slots__ = ["existing", "run"]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    existing: bool
    run: _run_pb2.Run
    def __init__(self, run: _Optional[_Union[_run_pb2.Run, _Mapping]] = ..., existing: bool = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ["end", "start"]
    END_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    end: _timestamp_pb2.Timestamp
    start: _timestamp_pb2.Timestamp
    def __init__(self, start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchRunRequest(_message.Message):
    __slots__ = ["after_sequence", "run_id"]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    run_id: str
    def __init__(self, run_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchRunResponse(_message.Message):
    __slots__ = ["approval_decided", "approval_requested", "sequence", "snapshot", "status_changed", "step", "time", "tool_invoked"]
    APPROVAL_DECIDED_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TOOL_INVOKED_FIELD_NUMBER: _ClassVar[int]
    approval_decided: _run_pb2.StepApprovalDecision
    approval_requested: _run_pb2.PendingApproval
    sequence: int
    snapshot: _run_pb2.Run
    status_changed: _run_pb2.RunStatusChange
    step: _run_pb2.StepRun
    time: _timestamp_pb2.Timestamp
    tool_invoked: _run_pb2.StepToolInvocation
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., snapshot: _Optional[_Union[_run_pb2.Run, _Mapping]] = ..., status_changed: _Optional[_Union[_run_pb2.RunStatusChange, _Mapping]] = ..., step: _Optional[_Union[_run_pb2.StepRun, _Mapping]] = ..., tool_invoked: _Optional[_Union[_run_pb2.StepToolInvocation, _Mapping]] = ..., approval_requested: _Optional[_Union[_run_pb2.PendingApproval, _Mapping]] = ..., approval_decided: _Optional[_Union[_run_pb2.StepApprovalDecision, _Mapping]] = ...) -> None: ...
