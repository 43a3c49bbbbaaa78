from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.quota.v1 import quota_pb2 as _quota_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
SETTLEMENT_OUTCOME_DUPLICATE: SettlementOutcome
SETTLEMENT_OUTCOME_SETTLED: SettlementOutcome
SETTLEMENT_OUTCOME_SETTLED_LATE: SettlementOutcome
SETTLEMENT_OUTCOME_UNSPECIFIED: SettlementOutcome

class AcquireLeaseRequest(_message.Message):
    __slots__ = ["budget_id", "demand", "rate_limit_id", "replica_id", "subject"]
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    DEMAND_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    budget_id: str
    demand: _quota_pb2.LeaseDemand
    rate_limit_id: str
    replica_id: str
    subject: _quota_pb2.Subject
    def __init__(self, replica_id: _Optional[str] = ..., subject: _Optional[_Union[_quota_pb2.Subject, _Mapping]] = ..., budget_id: _Optional[str] = ..., rate_limit_id: _Optional[str] = ..., demand: _Optional[_Union[_quota_pb2.LeaseDemand, _Mapping]] = ...) -> None: ...

class AcquireLeaseResponse(_message.Message):
    __slots__ = ["leases", "recheck_at"]
    LEASES_FIELD_NUMBER: _ClassVar[int]
    RECHECK_AT_FIELD_NUMBER: _ClassVar[int]
    leases: _containers.RepeatedCompositeFieldContainer[_quota_pb2.Lease]
    recheck_at: _timestamp_pb2.Timestamp
    def __init__(self, leases: _Optional[_Iterable[_Union[_quota_pb2.Lease, _Mapping]]] = ..., recheck_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeleteBudgetRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteBudgetResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeletePriceRequest(_message.Message):
    __slots__ = ["model"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class DeletePriceResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteRateLimitRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteRateLimitResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetBudgetRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBudgetResponse(_message.Message):
    __slots__ = ["budget"]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: _quota_pb2.Budget
    def __init__(self, budget: _Optional[_Union[_quota_pb2.Budget, _Mapping]] = ...) -> None: ...

class GetUsageReportRequest(_message.Message):
    __slots__ = ["group_by", "models", "page_size", "page_token", "projects", "range", "teams", "time_zone", "virtual_key_ids"]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_KEY_IDS_FIELD_NUMBER: _ClassVar[int]
    group_by: _containers.RepeatedScalarFieldContainer[_quota_pb2.UsageDimension]
    models: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    page_token: str
    projects: _containers.RepeatedScalarFieldContainer[str]
    range: _quota_pb2.TimeRange
    teams: _containers.RepeatedScalarFieldContainer[str]
    time_zone: str
    virtual_key_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, range: _Optional[_Union[_quota_pb2.TimeRange, _Mapping]] = ..., group_by: _Optional[_Iterable[_Union[_quota_pb2.UsageDimension, str]]] = ..., virtual_key_ids: _Optional[_Iterable[str]] = ..., teams: _Optional[_Iterable[str]] = ..., projects: _Optional[_Iterable[str]] = ..., models: _Optional[_Iterable[str]] = ..., time_zone: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetUsageReportResponse(_message.Message):
    __slots__ = ["next_page_token", "rows", "total"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    rows: _containers.RepeatedCompositeFieldContainer[_quota_pb2.UsageRow]
    total: _quota_pb2.UsageRow
    def __init__(self, rows: _Optional[_Iterable[_Union[_quota_pb2.UsageRow, _Mapping]]] = ..., total: _Optional[_Union[_quota_pb2.UsageRow, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListBudgetAlertsRequest(_message.Message):
    __slots__ = ["budget_id", "fired", "page_size", "page_token", "subject"]
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    FIRED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    budget_id: str
    fired: _quota_pb2.TimeRange
    page_size: int
    page_token: str
    subject: _quota_pb2.Subject
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., budget_id: _Optional[str] = ..., subject: _Optional[_Union[_quota_pb2.Subject, _Mapping]] = ..., fired: _Optional[_Union[_quota_pb2.TimeRange, _Mapping]] = ...) -> None: ...

class ListBudgetAlertsResponse(_message.Message):
    __slots__ = ["alerts", "next_page_token"]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[_quota_pb2.BudgetAlert]
    next_page_token: str
    def __init__(self, alerts: _Optional[_Iterable[_Union[_quota_pb2.BudgetAlert, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListBudgetsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "subject"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    subject: _quota_pb2.Subject
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., subject: _Optional[_Union[_quota_pb2.Subject, _Mapping]] = ...) -> None: ...

class ListBudgetsResponse(_message.Message):
    __slots__ = ["budgets", "next_page_token"]
    BUDGETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    budgets: _containers.RepeatedCompositeFieldContainer[_quota_pb2.Budget]
    next_page_token: str
    def __init__(self, budgets: _Optional[_Iterable[_Union[_quota_pb2.Budget, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPricesRequest(_message.Message):
    __slots__ = ["models", "page_size", "page_token"]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ...) -> None: ...

class ListPricesResponse(_message.Message):
    __slots__ = ["next_page_token", "prices"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    prices: _containers.RepeatedCompositeFieldContainer[_quota_pb2.Price]
    def __init__(self, prices: _Optional[_Iterable[_Union[_quota_pb2.Price, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRateLimitsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "subject"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    subject: _quota_pb2.Subject
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., subject: _Optional[_Union[_quota_pb2.Subject, _Mapping]] = ...) -> None: ...

class ListRateLimitsResponse(_message.Message):
    __slots__ = ["next_page_token", "rate_limits"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    rate_limits: _containers.RepeatedCompositeFieldContainer[_quota_pb2.RateLimit]
    def __init__(self, rate_limits: _Optional[_Iterable[_Union[_quota_pb2.RateLimit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PriceChange(_message.Message):
    __slots__ = ["price_deleted", "price_upserted"]
    PRICE_DELETED_FIELD_NUMBER: _ClassVar[int]
    PRICE_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    price_deleted: str
    price_upserted: _quota_pb2.Price
    def __init__(self, price_upserted: _Optional[_Union[_quota_pb2.Price, _Mapping]] = ..., price_deleted: _Optional[str] = ...) -> None: ...

class PriceSnapshot(_message.Message):
    __slots__ = ["complete", "prices"]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    complete: bool
    prices: _containers.RepeatedCompositeFieldContainer[_quota_pb2.Price]
    def __init__(self, prices: _Optional[_Iterable[_Union[_quota_pb2.Price, _Mapping]]] = ..., complete: bool = ...) -> None: ...

class PutBudgetRequest(_message.Message):
    __slots__ = ["budget"]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: _quota_pb2.Budget
    def __init__(self, budget: _Optional[_Union[_quota_pb2.Budget, _Mapping]] = ...) -> None: ...

class PutBudgetResponse(_message.Message):
    __slots__ = ["budget"]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: _quota_pb2.Budget
    def __init__(self, budget: _Optional[_Union[_quota_pb2.Budget, _Mapping]] = ...) -> None: ...

class PutPriceRequest(_message.Message):
    __slots__ = ["price"]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    price: _quota_pb2.Price
    def __init__(self, price: _Optional[_Union[_quota_pb2.Price, _Mapping]] = ...) -> None: ...

class PutPriceResponse(_message.Message):
    __slots__ = ["price"]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    price: _quota_pb2.Price
    def __init__(self, price: _Optional[_Union[_quota_pb2.Price, _Mapping]] = ...) -> None: ...

class PutRateLimitRequest(_message.Message):
    __slots__ = ["rate_limit"]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    rate_limit: _quota_pb2.RateLimit
    def __init__(self, rate_limit: _Optional[_Union[_quota_pb2.RateLimit, _Mapping]] = ...) -> None: ...

class PutRateLimitResponse(_message.Message):
    __slots__ = ["rate_limit"]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    rate_limit: _quota_pb2.RateLimit
    def __init__(self, rate_limit: _Optional[_Union[_quota_pb2.RateLimit, _Mapping]] = ...) -> None: ...

class ReleaseRequest(_message.Message):
    __slots__ = ["reservation_ids"]
    RESERVATION_IDS_FIELD_NUMBER: _ClassVar[int]
    reservation_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, reservation_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReleaseResponse(_message.Message):
    __slots__ = ["released", "unchanged"]
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    released: int
    unchanged: int
    def __init__(self, released: _Optional[int] = ..., unchanged: _Optional[int] = ...) -> None: ...

class RenewLeaseRequest(_message.Message):
    __slots__ = ["demand", "lease_id", "replica_id", "spent"]
    DEMAND_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    SPENT_FIELD_NUMBER: _ClassVar[int]
    demand: _quota_pb2.LeaseDemand
    lease_id: str
    replica_id: str
    spent: int
    def __init__(self, lease_id: _Optional[str] = ..., replica_id: _Optional[str] = ..., spent: _Optional[int] = ..., demand: _Optional[_Union[_quota_pb2.LeaseDemand, _Mapping]] = ...) -> None: ...

class RenewLeaseResponse(_message.Message):
    __slots__ = ["lease"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    lease: _quota_pb2.Lease
    def __init__(self, lease: _Optional[_Union[_quota_pb2.Lease, _Mapping]] = ...) -> None: ...

class ReserveRequest(_message.Message):
    __slots__ = ["estimated_cost_micros", "estimated_tokens", "idempotency_key", "scope", "ttl"]
    ESTIMATED_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    estimated_cost_micros: int
    estimated_tokens: int
    idempotency_key: str
    scope: _quota_pb2.ChargeScope
    ttl: _duration_pb2.Duration
    def __init__(self, scope: _Optional[_Union[_quota_pb2.ChargeScope, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., estimated_cost_micros: _Optional[int] = ..., estimated_tokens: _Optional[int] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ReserveResponse(_message.Message):
    __slots__ = ["reservation"]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _quota_pb2.Reservation
    def __init__(self, reservation: _Optional[_Union[_quota_pb2.Reservation, _Mapping]] = ...) -> None: ...

class ReturnLeaseRequest(_message.Message):
    __slots__ = ["lease_id", "replica_id", "spent"]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    SPENT_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    replica_id: str
    spent: int
    def __init__(self, lease_id: _Optional[str] = ..., replica_id: _Optional[str] = ..., spent: _Optional[int] = ...) -> None: ...

class ReturnLeaseResponse(_message.Message):
    __slots__ = ["returned"]
    RETURNED_FIELD_NUMBER: _ClassVar[int]
    returned: int
    def __init__(self, returned: _Optional[int] = ...) -> None: ...

class SettleRequest(_message.Message):
    __slots__ = ["settlements"]
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    settlements: _containers.RepeatedCompositeFieldContainer[_quota_pb2.Settlement]
    def __init__(self, settlements: _Optional[_Iterable[_Union[_quota_pb2.Settlement, _Mapping]]] = ...) -> None: ...

class SettleResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SettlementResult]
    def __init__(self, results: _Optional[_Iterable[_Union[SettlementResult, _Mapping]]] = ...) -> None: ...

class SettlementResult(_message.Message):
    __slots__ = ["call_id", "outcome"]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    outcome: SettlementOutcome
    def __init__(self, call_id: _Optional[str] = ..., outcome: _Optional[_Union[SettlementOutcome, str]] = ...) -> None: ...

class WatchPricesRequest(_message.Message):
    __slots__ = ["after_revision"]
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    after_revision: int
    def __init__(self, after_revision: _Optional[int] = ...) -> None: ...

class WatchPricesResponse(_message.Message):
    __slots__ = ["change", "heartbeat", "revision", "snapshot"]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    change: PriceChange
    heartbeat: _timestamp_pb2.Timestamp
    revision: int
    snapshot: PriceSnapshot
    def __init__(self, revision: _Optional[int] = ..., snapshot: _Optional[_Union[PriceSnapshot, _Mapping]] = ..., change: _Optional[_Union[PriceChange, _Mapping]] = ..., heartbeat: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SettlementOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
