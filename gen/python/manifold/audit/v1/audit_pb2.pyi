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

ACTOR_KIND_ADMIN_KEY: ActorKind
ACTOR_KIND_SERVICE: ActorKind
ACTOR_KIND_UNSPECIFIED: ActorKind
ACTOR_KIND_VIRTUAL_KEY: ActorKind
AUDIT_LOG_ADMIN_ACTIONS: AuditLog
AUDIT_LOG_CALLS: AuditLog
AUDIT_LOG_UNSPECIFIED: AuditLog
CALL_OPERATION_EMBED: CallOperation
CALL_OPERATION_GENERATE: CallOperation
CALL_OPERATION_UNSPECIFIED: CallOperation
CALL_STATUS_CANCELLED: CallStatus
CALL_STATUS_FAILED: CallStatus
CALL_STATUS_SUCCEEDED: CallStatus
CALL_STATUS_UNSPECIFIED: CallStatus
CHAIN_FAILURE_GAP: ChainFailure
CHAIN_FAILURE_HASH_MISMATCH: ChainFailure
CHAIN_FAILURE_LINK_MISMATCH: ChainFailure
CHAIN_FAILURE_UNSPECIFIED: ChainFailure
DESCRIPTOR: _descriptor.FileDescriptor
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSONL: ExportFormat
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
REDACTION_POLICY_FULL: RedactionPolicy
REDACTION_POLICY_METADATA_ONLY: RedactionPolicy
REDACTION_POLICY_PII_MASKED: RedactionPolicy
REDACTION_POLICY_UNSPECIFIED: RedactionPolicy
STATS_DIMENSION_KEY: StatsDimension
STATS_DIMENSION_MODEL: StatsDimension
STATS_DIMENSION_PROJECT: StatsDimension
STATS_DIMENSION_ROUTE: StatsDimension
STATS_DIMENSION_TEAM: StatsDimension
STATS_DIMENSION_UNSPECIFIED: StatsDimension
SURFACE_ANTHROPIC: Surface
SURFACE_CONNECT: Surface
SURFACE_OPENAI: Surface
SURFACE_PROMPT_API: Surface
SURFACE_UNSPECIFIED: Surface
SURFACE_WORKFLOW: Surface

class Actor(_message.Message):
    __slots__ = ["id", "kind", "remote_address", "role", "user"]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: ActorKind
    remote_address: str
    role: str
    user: str
    def __init__(self, kind: _Optional[_Union[ActorKind, str]] = ..., id: _Optional[str] = ..., user: _Optional[str] = ..., role: _Optional[str] = ..., remote_address: _Optional[str] = ...) -> None: ...

class AdminAction(_message.Message):
    __slots__ = ["action", "actor", "after", "before", "comment", "error_class", "hash", "id", "prev_hash", "resource_id", "resource_type", "sequence", "time"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CLASS_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    action: str
    actor: Actor
    after: _struct_pb2.Struct
    before: _struct_pb2.Struct
    comment: str
    error_class: _mcp_pb2.ErrorClass
    hash: bytes
    id: str
    prev_hash: bytes
    resource_id: str
    resource_type: str
    sequence: int
    time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[Actor, _Mapping]] = ..., action: _Optional[str] = ..., resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ..., before: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., after: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., error_class: _Optional[_Union[_mcp_pb2.ErrorClass, str]] = ..., comment: _Optional[str] = ..., sequence: _Optional[int] = ..., prev_hash: _Optional[bytes] = ..., hash: _Optional[bytes] = ...) -> None: ...

class Body(_message.Message):
    __slots__ = ["content_type", "json", "raw", "size_bytes", "truncated"]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    json: str
    raw: bytes
    size_bytes: int
    truncated: bool
    def __init__(self, json: _Optional[str] = ..., raw: _Optional[bytes] = ..., content_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., truncated: bool = ...) -> None: ...

class CallFilter(_message.Message):
    __slots__ = ["cache_hit", "error_classes", "key_ids", "models", "projects", "prompt_name", "routes", "run_id", "statuses", "surfaces", "teams", "text"]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CLASSES_FIELD_NUMBER: _ClassVar[int]
    KEY_IDS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    SURFACES_FIELD_NUMBER: _ClassVar[int]
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    cache_hit: bool
    error_classes: _containers.RepeatedScalarFieldContainer[_mcp_pb2.ErrorClass]
    key_ids: _containers.RepeatedScalarFieldContainer[str]
    models: _containers.RepeatedScalarFieldContainer[str]
    projects: _containers.RepeatedScalarFieldContainer[str]
    prompt_name: str
    routes: _containers.RepeatedScalarFieldContainer[str]
    run_id: str
    statuses: _containers.RepeatedScalarFieldContainer[CallStatus]
    surfaces: _containers.RepeatedScalarFieldContainer[Surface]
    teams: _containers.RepeatedScalarFieldContainer[str]
    text: str
    def __init__(self, key_ids: _Optional[_Iterable[str]] = ..., teams: _Optional[_Iterable[str]] = ..., projects: _Optional[_Iterable[str]] = ..., models: _Optional[_Iterable[str]] = ..., routes: _Optional[_Iterable[str]] = ..., statuses: _Optional[_Iterable[_Union[CallStatus, str]]] = ..., error_classes: _Optional[_Iterable[_Union[_mcp_pb2.ErrorClass, str]]] = ..., surfaces: _Optional[_Iterable[_Union[Surface, str]]] = ..., prompt_name: _Optional[str] = ..., run_id: _Optional[str] = ..., cache_hit: bool = ..., text: _Optional[str] = ...) -> None: ...

class CallPrincipal(_message.Message):
    __slots__ = ["end_user", "key_id", "project", "team", "user"]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    end_user: str
    key_id: str
    project: str
    team: str
    user: str
    def __init__(self, key_id: _Optional[str] = ..., user: _Optional[str] = ..., team: _Optional[str] = ..., project: _Optional[str] = ..., end_user: _Optional[str] = ...) -> None: ...

class CallRecord(_message.Message):
    __slots__ = ["api_slug", "attempts", "cache_hit", "error_class", "error_message", "finish_reason", "hash", "http_status", "id", "latency", "metadata", "model", "operation", "prev_hash", "principal", "prompt_label", "prompt_name", "prompt_version", "provider", "received_at", "redaction", "replica_id", "request_body", "requested_model", "response_body", "route", "run_id", "sequence", "status", "step_id", "streamed", "surface", "time_to_first_token", "usage"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    API_SLUG_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CLASS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_LABEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    REDACTION_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_BODY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BODY_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STREAMED_FIELD_NUMBER: _ClassVar[int]
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    api_slug: str
    attempts: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.Attempt]
    cache_hit: bool
    error_class: _mcp_pb2.ErrorClass
    error_message: str
    finish_reason: _mcp_pb2.FinishReason
    hash: bytes
    http_status: int
    id: str
    latency: _duration_pb2.Duration
    metadata: _containers.ScalarMap[str, str]
    model: str
    operation: CallOperation
    prev_hash: bytes
    principal: CallPrincipal
    prompt_label: str
    prompt_name: str
    prompt_version: int
    provider: str
    received_at: _timestamp_pb2.Timestamp
    redaction: RedactionPolicy
    replica_id: str
    request_body: Body
    requested_model: str
    response_body: Body
    route: str
    run_id: str
    sequence: int
    status: CallStatus
    step_id: str
    streamed: bool
    surface: Surface
    time_to_first_token: _duration_pb2.Duration
    usage: _mcp_pb2.Usage
    def __init__(self, id: _Optional[str] = ..., received_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[CallPrincipal, _Mapping]] = ..., surface: _Optional[_Union[Surface, str]] = ..., operation: _Optional[_Union[CallOperation, str]] = ..., streamed: bool = ..., requested_model: _Optional[str] = ..., route: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., prompt_name: _Optional[str] = ..., prompt_version: _Optional[int] = ..., prompt_label: _Optional[str] = ..., api_slug: _Optional[str] = ..., run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempts: _Optional[_Iterable[_Union[_mcp_pb2.Attempt, _Mapping]]] = ..., redaction: _Optional[_Union[RedactionPolicy, str]] = ..., request_body: _Optional[_Union[Body, _Mapping]] = ..., response_body: _Optional[_Union[Body, _Mapping]] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ..., cache_hit: bool = ..., time_to_first_token: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., status: _Optional[_Union[CallStatus, str]] = ..., error_class: _Optional[_Union[_mcp_pb2.ErrorClass, str]] = ..., error_message: _Optional[str] = ..., http_status: _Optional[int] = ..., finish_reason: _Optional[_Union[_mcp_pb2.FinishReason, str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., replica_id: _Optional[str] = ..., sequence: _Optional[int] = ..., prev_hash: _Optional[bytes] = ..., hash: _Optional[bytes] = ...) -> None: ...

class ErrorCount(_message.Message):
    __slots__ = ["count", "error_class"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CLASS_FIELD_NUMBER: _ClassVar[int]
    count: int
    error_class: _mcp_pb2.ErrorClass
    def __init__(self, error_class: _Optional[_Union[_mcp_pb2.ErrorClass, str]] = ..., count: _Optional[int] = ...) -> None: ...

class StatsBucket(_message.Message):
    __slots__ = ["cache_hits", "cost_micros", "errors", "group", "input_tokens", "latency_p50", "latency_p95", "latency_p99", "output_tokens", "requests", "start", "ttft_p50"]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    TTFT_P50_FIELD_NUMBER: _ClassVar[int]
    cache_hits: int
    cost_micros: int
    errors: _containers.RepeatedCompositeFieldContainer[ErrorCount]
    group: StatsGroup
    input_tokens: int
    latency_p50: _duration_pb2.Duration
    latency_p95: _duration_pb2.Duration
    latency_p99: _duration_pb2.Duration
    output_tokens: int
    requests: int
    start: _timestamp_pb2.Timestamp
    ttft_p50: _duration_pb2.Duration
    def __init__(self, start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., group: _Optional[_Union[StatsGroup, _Mapping]] = ..., requests: _Optional[int] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost_micros: _Optional[int] = ..., latency_p50: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., latency_p95: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., latency_p99: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., ttft_p50: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[ErrorCount, _Mapping]]] = ..., cache_hits: _Optional[int] = ...) -> None: ...

class StatsGroup(_message.Message):
    __slots__ = ["key_id", "model", "project", "route", "team"]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    model: str
    project: str
    route: str
    team: str
    def __init__(self, key_id: _Optional[str] = ..., team: _Optional[str] = ..., project: _Optional[str] = ..., model: _Optional[str] = ..., route: _Optional[str] = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ["end", "start"]
    END_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    end: _timestamp_pb2.Timestamp
    start: _timestamp_pb2.Timestamp
    def __init__(self, start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Surface(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class CallOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RedactionPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class CallStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ActorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StatsDimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AuditLog(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ChainFailure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
