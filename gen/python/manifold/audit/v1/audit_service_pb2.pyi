from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from manifold.audit.v1 import audit_pb2 as _audit_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CALL_VIEW_FULL: CallView
CALL_VIEW_SUMMARY: CallView
CALL_VIEW_UNSPECIFIED: CallView
DESCRIPTOR: _descriptor.FileDescriptor

class ExportCallsRequest(_message.Message):
    __slots__ = ["filter", "format", "include_bodies", "range"]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_BODIES_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    filter: _audit_pb2.CallFilter
    format: _audit_pb2.ExportFormat
    include_bodies: bool
    range: _audit_pb2.TimeRange
    def __init__(self, range: _Optional[_Union[_audit_pb2.TimeRange, _Mapping]] = ..., filter: _Optional[_Union[_audit_pb2.CallFilter, _Mapping]] = ..., format: _Optional[_Union[_audit_pb2.ExportFormat, str]] = ..., include_bodies: bool = ...) -> None: ...

class ExportCallsResponse(_message.Message):
    __slots__ = ["data", "record_count"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    record_count: int
    def __init__(self, data: _Optional[bytes] = ..., record_count: _Optional[int] = ...) -> None: ...

class GetCallRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetCallResponse(_message.Message):
    __slots__ = ["record"]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: _audit_pb2.CallRecord
    def __init__(self, record: _Optional[_Union[_audit_pb2.CallRecord, _Mapping]] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ["bucket_width", "filter", "group_by", "range"]
    BUCKET_WIDTH_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    bucket_width: _duration_pb2.Duration
    filter: _audit_pb2.CallFilter
    group_by: _containers.RepeatedScalarFieldContainer[_audit_pb2.StatsDimension]
    range: _audit_pb2.TimeRange
    def __init__(self, range: _Optional[_Union[_audit_pb2.TimeRange, _Mapping]] = ..., bucket_width: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., group_by: _Optional[_Iterable[_Union[_audit_pb2.StatsDimension, str]]] = ..., filter: _Optional[_Union[_audit_pb2.CallFilter, _Mapping]] = ...) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ["buckets"]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[_audit_pb2.StatsBucket]
    def __init__(self, buckets: _Optional[_Iterable[_Union[_audit_pb2.StatsBucket, _Mapping]]] = ...) -> None: ...

class QueryAdminActionsRequest(_message.Message):
    __slots__ = ["action", "actor_id", "page_size", "page_token", "range", "resource_id", "resource_type"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    action: str
    actor_id: str
    page_size: int
    page_token: str
    range: _audit_pb2.TimeRange
    resource_id: str
    resource_type: str
    def __init__(self, range: _Optional[_Union[_audit_pb2.TimeRange, _Mapping]] = ..., actor_id: _Optional[str] = ..., action: _Optional[str] = ..., resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class QueryAdminActionsResponse(_message.Message):
    __slots__ = ["actions", "next_page_token"]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    actions: _containers.RepeatedCompositeFieldContainer[_audit_pb2.AdminAction]
    next_page_token: str
    def __init__(self, actions: _Optional[_Iterable[_Union[_audit_pb2.AdminAction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class QueryCallsRequest(_message.Message):
    __slots__ = ["filter", "page_size", "page_token", "range", "view"]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    filter: _audit_pb2.CallFilter
    page_size: int
    page_token: str
    range: _audit_pb2.TimeRange
    view: CallView
    def __init__(self, range: _Optional[_Union[_audit_pb2.TimeRange, _Mapping]] = ..., filter: _Optional[_Union[_audit_pb2.CallFilter, _Mapping]] = ..., view: _Optional[_Union[CallView, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class QueryCallsResponse(_message.Message):
    __slots__ = ["next_page_token", "records"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    records: _containers.RepeatedCompositeFieldContainer[_audit_pb2.CallRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_audit_pb2.CallRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordAdminActionsRequest(_message.Message):
    __slots__ = ["actions"]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    actions: _containers.RepeatedCompositeFieldContainer[_audit_pb2.AdminAction]
    def __init__(self, actions: _Optional[_Iterable[_Union[_audit_pb2.AdminAction, _Mapping]]] = ...) -> None: ...

class RecordAdminActionsResponse(_message.Message):
    __slots__ = ["duplicates", "stored"]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    duplicates: int
    stored: int
    def __init__(self, stored: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class RecordCallsRequest(_message.Message):
    __slots__ = ["records"]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_audit_pb2.CallRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_audit_pb2.CallRecord, _Mapping]]] = ...) -> None: ...

class RecordCallsResponse(_message.Message):
    __slots__ = ["duplicates", "stored"]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    duplicates: int
    stored: int
    def __init__(self, stored: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class VerifyChainRequest(_message.Message):
    __slots__ = ["from_sequence", "log", "to_sequence"]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    from_sequence: int
    log: _audit_pb2.AuditLog
    to_sequence: int
    def __init__(self, log: _Optional[_Union[_audit_pb2.AuditLog, str]] = ..., from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class VerifyChainResponse(_message.Message):
    __slots__ = ["failure", "first_bad_record_id", "first_bad_sequence", "ok", "reason", "records_checked", "verified_through_hash", "verified_through_sequence"]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_THROUGH_HASH_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_THROUGH_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    failure: _audit_pb2.ChainFailure
    first_bad_record_id: str
    first_bad_sequence: int
    ok: bool
    reason: str
    records_checked: int
    verified_through_hash: bytes
    verified_through_sequence: int
    def __init__(self, ok: bool = ..., records_checked: _Optional[int] = ..., first_bad_record_id: _Optional[str] = ..., first_bad_sequence: _Optional[int] = ..., failure: _Optional[_Union[_audit_pb2.ChainFailure, str]] = ..., reason: _Optional[str] = ..., verified_through_sequence: _Optional[int] = ..., verified_through_hash: _Optional[bytes] = ...) -> None: ...

class CallView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
