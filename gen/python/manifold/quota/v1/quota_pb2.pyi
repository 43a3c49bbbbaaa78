from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BUDGET_PERIOD_DAILY: BudgetPeriod
BUDGET_PERIOD_LIFETIME: BudgetPeriod
BUDGET_PERIOD_MONTHLY: BudgetPeriod
BUDGET_PERIOD_UNSPECIFIED: BudgetPeriod
BUDGET_PERIOD_WEEKLY: BudgetPeriod
DESCRIPTOR: _descriptor.FileDescriptor
LEASE_UNIT_COST_MICROS: LeaseUnit
LEASE_UNIT_REQUESTS: LeaseUnit
LEASE_UNIT_TOKENS: LeaseUnit
LEASE_UNIT_UNSPECIFIED: LeaseUnit
RESERVATION_STATE_ACTIVE: ReservationState
RESERVATION_STATE_EXPIRED: ReservationState
RESERVATION_STATE_RELEASED: ReservationState
RESERVATION_STATE_SETTLED: ReservationState
RESERVATION_STATE_UNSPECIFIED: ReservationState
SUBJECT_KIND_CREDENTIAL: SubjectKind
SUBJECT_KIND_PROJECT: SubjectKind
SUBJECT_KIND_ROUTE: SubjectKind
SUBJECT_KIND_TEAM: SubjectKind
SUBJECT_KIND_UNSPECIFIED: SubjectKind
SUBJECT_KIND_VIRTUAL_KEY: SubjectKind
USAGE_DIMENSION_DAY: UsageDimension
USAGE_DIMENSION_MODEL: UsageDimension
USAGE_DIMENSION_PROJECT: UsageDimension
USAGE_DIMENSION_ROUTE: UsageDimension
USAGE_DIMENSION_TEAM: UsageDimension
USAGE_DIMENSION_UNSPECIFIED: UsageDimension
USAGE_DIMENSION_VIRTUAL_KEY: UsageDimension

class Budget(_message.Message):
    __slots__ = ["alert_thresholds_percent", "created_at", "description", "id", "limit_micros", "period", "status", "subject", "time_zone", "updated_at", "updated_by"]
    ALERT_THRESHOLDS_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_MICROS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    alert_thresholds_percent: _containers.RepeatedScalarFieldContainer[int]
    created_at: _timestamp_pb2.Timestamp
    description: str
    id: str
    limit_micros: int
    period: BudgetPeriod
    status: BudgetStatus
    subject: Subject
    time_zone: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, id: _Optional[str] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ..., period: _Optional[_Union[BudgetPeriod, str]] = ..., limit_micros: _Optional[int] = ..., alert_thresholds_percent: _Optional[_Iterable[int]] = ..., time_zone: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[_Union[BudgetStatus, _Mapping]] = ..., updated_by: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BudgetAlert(_message.Message):
    __slots__ = ["budget_id", "fired_at", "id", "limit_micros", "period_start", "spent_micros", "subject", "threshold_percent"]
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    FIRED_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_MICROS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    SPENT_MICROS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_PERCENT_FIELD_NUMBER: _ClassVar[int]
    budget_id: str
    fired_at: _timestamp_pb2.Timestamp
    id: str
    limit_micros: int
    period_start: _timestamp_pb2.Timestamp
    spent_micros: int
    subject: Subject
    threshold_percent: int
    def __init__(self, id: _Optional[str] = ..., budget_id: _Optional[str] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ..., threshold_percent: _Optional[int] = ..., period_start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., spent_micros: _Optional[int] = ..., limit_micros: _Optional[int] = ..., fired_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BudgetStatus(_message.Message):
    __slots__ = ["held_micros", "period_end", "period_start", "remaining_micros", "spent_micros"]
    HELD_MICROS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    REMAINING_MICROS_FIELD_NUMBER: _ClassVar[int]
    SPENT_MICROS_FIELD_NUMBER: _ClassVar[int]
    held_micros: int
    period_end: _timestamp_pb2.Timestamp
    period_start: _timestamp_pb2.Timestamp
    remaining_micros: int
    spent_micros: int
    def __init__(self, period_start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., spent_micros: _Optional[int] = ..., held_micros: _Optional[int] = ..., remaining_micros: _Optional[int] = ...) -> None: ...

class ChargeScope(_message.Message):
    __slots__ = ["budget_ids", "credential", "model", "project", "rate_limit_ids", "route", "team", "virtual_key_id"]
    BUDGET_IDS_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_IDS_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    budget_ids: _containers.RepeatedScalarFieldContainer[str]
    credential: str
    model: str
    project: str
    rate_limit_ids: _containers.RepeatedScalarFieldContainer[str]
    route: str
    team: str
    virtual_key_id: str
    def __init__(self, virtual_key_id: _Optional[str] = ..., team: _Optional[str] = ..., project: _Optional[str] = ..., route: _Optional[str] = ..., credential: _Optional[str] = ..., model: _Optional[str] = ..., budget_ids: _Optional[_Iterable[str]] = ..., rate_limit_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ["budget_id", "expires_at", "granted", "id", "limit", "rate_limit_id", "remaining", "replica_id", "spent", "unit", "window_end"]
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_ID_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    SPENT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    budget_id: str
    expires_at: _timestamp_pb2.Timestamp
    granted: int
    id: str
    limit: int
    rate_limit_id: str
    remaining: int
    replica_id: str
    spent: int
    unit: LeaseUnit
    window_end: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., replica_id: _Optional[str] = ..., budget_id: _Optional[str] = ..., rate_limit_id: _Optional[str] = ..., unit: _Optional[_Union[LeaseUnit, str]] = ..., granted: _Optional[int] = ..., spent: _Optional[int] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., window_end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., remaining: _Optional[int] = ...) -> None: ...

class LeaseDemand(_message.Message):
    __slots__ = ["cost_micros", "requests", "tokens"]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    cost_micros: int
    requests: int
    tokens: int
    def __init__(self, cost_micros: _Optional[int] = ..., requests: _Optional[int] = ..., tokens: _Optional[int] = ...) -> None: ...

class Price(_message.Message):
    __slots__ = ["cache_write_per_mtok_micros", "cached_input_per_mtok_micros", "input_per_mtok_micros", "model", "output_per_mtok_micros", "reasoning_per_mtok_micros", "updated_at", "updated_by"]
    CACHED_INPUT_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    INPUT_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    REASONING_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    cache_write_per_mtok_micros: int
    cached_input_per_mtok_micros: int
    input_per_mtok_micros: int
    model: str
    output_per_mtok_micros: int
    reasoning_per_mtok_micros: int
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, model: _Optional[str] = ..., input_per_mtok_micros: _Optional[int] = ..., output_per_mtok_micros: _Optional[int] = ..., cached_input_per_mtok_micros: _Optional[int] = ..., cache_write_per_mtok_micros: _Optional[int] = ..., reasoning_per_mtok_micros: _Optional[int] = ..., updated_by: _Optional[str] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RateLimit(_message.Message):
    __slots__ = ["created_at", "description", "id", "requests_per_minute", "subject", "tokens_per_minute", "updated_at", "updated_by"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    description: str
    id: str
    requests_per_minute: int
    subject: Subject
    tokens_per_minute: int
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, id: _Optional[str] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ..., requests_per_minute: _Optional[int] = ..., tokens_per_minute: _Optional[int] = ..., description: _Optional[str] = ..., updated_by: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ["budget_ids", "created_at", "expires_at", "held_cost_micros", "held_tokens", "id", "idempotency_key", "rate_limit_ids", "scope", "state"]
    BUDGET_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    HELD_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    HELD_TOKENS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_IDS_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    budget_ids: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    held_cost_micros: int
    held_tokens: int
    id: str
    idempotency_key: str
    rate_limit_ids: _containers.RepeatedScalarFieldContainer[str]
    scope: ChargeScope
    state: ReservationState
    def __init__(self, id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., scope: _Optional[_Union[ChargeScope, _Mapping]] = ..., held_cost_micros: _Optional[int] = ..., held_tokens: _Optional[int] = ..., budget_ids: _Optional[_Iterable[str]] = ..., rate_limit_ids: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[ReservationState, str]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Settlement(_message.Message):
    __slots__ = ["call_id", "finished_at", "lease_ids", "reservation_id", "scope", "usage"]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    LEASE_IDS_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    finished_at: _timestamp_pb2.Timestamp
    lease_ids: _containers.RepeatedScalarFieldContainer[str]
    reservation_id: str
    scope: ChargeScope
    usage: _mcp_pb2.Usage
    def __init__(self, call_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., lease_ids: _Optional[_Iterable[str]] = ..., scope: _Optional[_Union[ChargeScope, _Mapping]] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ..., finished_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Subject(_message.Message):
    __slots__ = ["id", "kind"]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: SubjectKind
    def __init__(self, kind: _Optional[_Union[SubjectKind, str]] = ..., id: _Optional[str] = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ["end", "start"]
    END_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    end: _timestamp_pb2.Timestamp
    start: _timestamp_pb2.Timestamp
    def __init__(self, start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UsageRow(_message.Message):
    __slots__ = ["day", "model", "project", "requests", "route", "team", "usage", "virtual_key_id"]
    DAY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    day: _timestamp_pb2.Timestamp
    model: str
    project: str
    requests: int
    route: str
    team: str
    usage: _mcp_pb2.Usage
    virtual_key_id: str
    def __init__(self, virtual_key_id: _Optional[str] = ..., team: _Optional[str] = ..., project: _Optional[str] = ..., model: _Optional[str] = ..., day: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., route: _Optional[str] = ..., requests: _Optional[int] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ...) -> None: ...

class SubjectKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BudgetPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ReservationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class LeaseUnit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class UsageDimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
