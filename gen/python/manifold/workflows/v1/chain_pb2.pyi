from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

APPROVAL_REJECT_ACTION_END_RUN: ApprovalRejectAction
APPROVAL_REJECT_ACTION_RETURN_TO_MODEL: ApprovalRejectAction
APPROVAL_REJECT_ACTION_UNSPECIFIED: ApprovalRejectAction
APPROVAL_TIMEOUT_ACTION_APPROVE: ApprovalTimeoutAction
APPROVAL_TIMEOUT_ACTION_ESCALATE: ApprovalTimeoutAction
APPROVAL_TIMEOUT_ACTION_REJECT: ApprovalTimeoutAction
APPROVAL_TIMEOUT_ACTION_UNSPECIFIED: ApprovalTimeoutAction
DESCRIPTOR: _descriptor.FileDescriptor
HTTP_METHOD_DELETE: HttpMethod
HTTP_METHOD_GET: HttpMethod
HTTP_METHOD_PATCH: HttpMethod
HTTP_METHOD_POST: HttpMethod
HTTP_METHOD_PUT: HttpMethod
HTTP_METHOD_UNSPECIFIED: HttpMethod

class ApprovalPolicy(_message.Message):
    __slots__ = ["approvers", "escalate_to", "escalation_timeout", "on_reject", "on_timeout", "timeout"]
    APPROVERS_FIELD_NUMBER: _ClassVar[int]
    ESCALATE_TO_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ON_REJECT_FIELD_NUMBER: _ClassVar[int]
    ON_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    approvers: Approvers
    escalate_to: Approvers
    escalation_timeout: _duration_pb2.Duration
    on_reject: ApprovalRejectAction
    on_timeout: ApprovalTimeoutAction
    timeout: _duration_pb2.Duration
    def __init__(self, approvers: _Optional[_Union[Approvers, _Mapping]] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., on_timeout: _Optional[_Union[ApprovalTimeoutAction, str]] = ..., escalate_to: _Optional[_Union[Approvers, _Mapping]] = ..., escalation_timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., on_reject: _Optional[_Union[ApprovalRejectAction, str]] = ...) -> None: ...

class ApprovalStep(_message.Message):
    __slots__ = ["instructions", "policy", "subject"]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    instructions: str
    policy: ApprovalPolicy
    subject: ValueRef
    def __init__(self, subject: _Optional[_Union[ValueRef, _Mapping]] = ..., instructions: _Optional[str] = ..., policy: _Optional[_Union[ApprovalPolicy, _Mapping]] = ...) -> None: ...

class Approvers(_message.Message):
    __slots__ = ["principals", "roles"]
    PRINCIPALS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    principals: _containers.RepeatedScalarFieldContainer[str]
    roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, roles: _Optional[_Iterable[str]] = ..., principals: _Optional[_Iterable[str]] = ...) -> None: ...

class Chain(_message.Message):
    __slots__ = ["created_at", "description", "labels", "latest_version", "name", "updated_at"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    description: str
    labels: _containers.RepeatedCompositeFieldContainer[ChainLabel]
    latest_version: int
    name: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., latest_version: _Optional[int] = ..., labels: _Optional[_Iterable[_Union[ChainLabel, _Mapping]]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChainLabel(_message.Message):
    __slots__ = ["name", "updated_at", "updated_by", "version"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., updated_by: _Optional[str] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChainSpec(_message.Message):
    __slots__ = ["input_schema", "output", "steps", "timeout", "tools"]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    input_schema: _struct_pb2.Struct
    output: ValueRef
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    timeout: _duration_pb2.Duration
    tools: _containers.RepeatedCompositeFieldContainer[ToolDefinition]
    def __init__(self, input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., tools: _Optional[_Iterable[_Union[ToolDefinition, _Mapping]]] = ..., output: _Optional[_Union[ValueRef, _Mapping]] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ChainVersion(_message.Message):
    __slots__ = ["author", "chain_name", "created_at", "digest", "message", "spec", "version"]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CHAIN_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    author: str
    chain_name: str
    created_at: _timestamp_pb2.Timestamp
    digest: str
    message: str
    spec: ChainSpec
    version: int
    def __init__(self, chain_name: _Optional[str] = ..., version: _Optional[int] = ..., spec: _Optional[_Union[ChainSpec, _Mapping]] = ..., author: _Optional[str] = ..., message: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., digest: _Optional[str] = ...) -> None: ...

class FieldMapping(_message.Message):
    __slots__ = ["default_value", "literal", "source", "target"]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    LITERAL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    default_value: _struct_pb2.Value
    literal: _struct_pb2.Value
    source: ValueRef
    target: str
    def __init__(self, target: _Optional[str] = ..., source: _Optional[_Union[ValueRef, _Mapping]] = ..., literal: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., default_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class HttpTool(_message.Message):
    __slots__ = ["allowed_hosts", "auth", "headers", "max_request_bytes", "method", "url"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALLOWED_HOSTS_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    MAX_REQUEST_BYTES_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    allowed_hosts: _containers.RepeatedScalarFieldContainer[str]
    auth: HttpToolAuth
    headers: _containers.ScalarMap[str, str]
    max_request_bytes: int
    method: HttpMethod
    url: str
    def __init__(self, url: _Optional[str] = ..., method: _Optional[_Union[HttpMethod, str]] = ..., headers: _Optional[_Mapping[str, str]] = ..., auth: _Optional[_Union[HttpToolAuth, _Mapping]] = ..., allowed_hosts: _Optional[_Iterable[str]] = ..., max_request_bytes: _Optional[int] = ...) -> None: ...

class HttpToolAuth(_message.Message):
    __slots__ = ["credential", "header", "prefix"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    credential: str
    header: str
    prefix: str
    def __init__(self, credential: _Optional[str] = ..., header: _Optional[str] = ..., prefix: _Optional[str] = ...) -> None: ...

class InlineMessages(_message.Message):
    __slots__ = ["messages"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.Message]
    def __init__(self, messages: _Optional[_Iterable[_Union[_mcp_pb2.Message, _Mapping]]] = ...) -> None: ...

class LambdaTool(_message.Message):
    __slots__ = ["credential", "endpoint_url", "function", "qualifier", "region"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    QUALIFIER_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    credential: str
    endpoint_url: str
    function: str
    qualifier: str
    region: str
    def __init__(self, function: _Optional[str] = ..., qualifier: _Optional[str] = ..., region: _Optional[str] = ..., endpoint_url: _Optional[str] = ..., credential: _Optional[str] = ...) -> None: ...

class ModelCallStep(_message.Message):
    __slots__ = ["messages", "model", "prompt", "response_format", "sampling"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_FIELD_NUMBER: _ClassVar[int]
    messages: InlineMessages
    model: str
    prompt: _mcp_pb2.PromptRef
    response_format: _mcp_pb2.ResponseFormat
    sampling: _mcp_pb2.SamplingParams
    def __init__(self, prompt: _Optional[_Union[_mcp_pb2.PromptRef, _Mapping]] = ..., messages: _Optional[_Union[InlineMessages, _Mapping]] = ..., model: _Optional[str] = ..., sampling: _Optional[_Union[_mcp_pb2.SamplingParams, _Mapping]] = ..., response_format: _Optional[_Union[_mcp_pb2.ResponseFormat, _Mapping]] = ...) -> None: ...

class PromptApiTool(_message.Message):
    __slots__ = ["slug"]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    slug: str
    def __init__(self, slug: _Optional[str] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ["approval", "description", "id", "model_call", "timeout", "tool_loop", "transform"]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_CALL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TOOL_LOOP_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_FIELD_NUMBER: _ClassVar[int]
    approval: ApprovalStep
    description: str
    id: str
    model_call: ModelCallStep
    timeout: _duration_pb2.Duration
    tool_loop: ToolLoopStep
    transform: TransformStep
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., model_call: _Optional[_Union[ModelCallStep, _Mapping]] = ..., tool_loop: _Optional[_Union[ToolLoopStep, _Mapping]] = ..., approval: _Optional[_Union[ApprovalStep, _Mapping]] = ..., transform: _Optional[_Union[TransformStep, _Mapping]] = ...) -> None: ...

class ToolApproval(_message.Message):
    __slots__ = ["policy", "tool"]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    policy: ApprovalPolicy
    tool: str
    def __init__(self, tool: _Optional[str] = ..., policy: _Optional[_Union[ApprovalPolicy, _Mapping]] = ...) -> None: ...

class ToolDefinition(_message.Message):
    __slots__ = ["http", "max_response_bytes", "prompt_api", "timeout", "tool"]
    HTTP_FIELD_NUMBER: _ClassVar[int]
    LAMBDA_FIELD_NUMBER: _ClassVar[int]
    MAX_RESPONSE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_API_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    http: HttpTool
    max_response_bytes: int
    prompt_api: PromptApiTool
    timeout: _duration_pb2.Duration
    tool: _mcp_pb2.Tool
    def __init__(self, tool: _Optional[_Union[_mcp_pb2.Tool, _Mapping]] = ..., http: _Optional[_Union[HttpTool, _Mapping]] = ..., prompt_api: _Optional[_Union[PromptApiTool, _Mapping]] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_response_bytes: _Optional[int] = ..., **kwargs) -> None: ...

class ToolLoopStep(_message.Message):
    __slots__ = ["approvals", "call", "max_iterations", "tools"]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    MAX_ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    approvals: _containers.RepeatedCompositeFieldContainer[ToolApproval]
    call: ModelCallStep
    max_iterations: int
    tools: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, call: _Optional[_Union[ModelCallStep, _Mapping]] = ..., tools: _Optional[_Iterable[str]] = ..., max_iterations: _Optional[int] = ..., approvals: _Optional[_Iterable[_Union[ToolApproval, _Mapping]]] = ...) -> None: ...

class TransformStep(_message.Message):
    __slots__ = ["mappings"]
    MAPPINGS_FIELD_NUMBER: _ClassVar[int]
    mappings: _containers.RepeatedCompositeFieldContainer[FieldMapping]
    def __init__(self, mappings: _Optional[_Iterable[_Union[FieldMapping, _Mapping]]] = ...) -> None: ...

class ValueRef(_message.Message):
    __slots__ = ["pointer", "step"]
    POINTER_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    pointer: str
    step: str
    def __init__(self, step: _Optional[str] = ..., pointer: _Optional[str] = ...) -> None: ...

class ApprovalTimeoutAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ApprovalRejectAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class HttpMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
