from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ADMIN_ROLE_ADMIN: AdminRole
ADMIN_ROLE_DEVELOPER: AdminRole
ADMIN_ROLE_UNSPECIFIED: AdminRole
ADMIN_ROLE_VIEWER: AdminRole
CREDENTIAL_HEALTH_STATUS_COOLING_DOWN: CredentialHealthStatus
CREDENTIAL_HEALTH_STATUS_HEALTHY: CredentialHealthStatus
CREDENTIAL_HEALTH_STATUS_INVALID: CredentialHealthStatus
CREDENTIAL_HEALTH_STATUS_UNSPECIFIED: CredentialHealthStatus
CREDENTIAL_VERSION_STATE_CURRENT: CredentialVersionState
CREDENTIAL_VERSION_STATE_GRACE: CredentialVersionState
CREDENTIAL_VERSION_STATE_RETIRED: CredentialVersionState
CREDENTIAL_VERSION_STATE_UNSPECIFIED: CredentialVersionState
DESCRIPTOR: _descriptor.FileDescriptor
KEY_STATE_ACTIVE: KeyState
KEY_STATE_EXPIRED: KeyState
KEY_STATE_REVOKED: KeyState
KEY_STATE_UNSPECIFIED: KeyState
PRINCIPAL_KIND_ADMIN_KEY: PrincipalKind
PRINCIPAL_KIND_SERVICE: PrincipalKind
PRINCIPAL_KIND_UNSPECIFIED: PrincipalKind
PRINCIPAL_KIND_VIRTUAL_KEY: PrincipalKind

class AdminKey(_message.Message):
    __slots__ = ["created_at", "created_by", "expires_at", "id", "name", "revoke_reason", "revoked_at", "role", "secret_hint", "state", "user"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    expires_at: _timestamp_pb2.Timestamp
    id: str
    name: str
    revoke_reason: str
    revoked_at: _timestamp_pb2.Timestamp
    role: AdminRole
    secret_hint: str
    state: KeyState
    user: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[_Union[AdminRole, str]] = ..., secret_hint: _Optional[str] = ..., user: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[KeyState, str]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., revoked_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ...) -> None: ...

class AwsSecret(_message.Message):
    __slots__ = ["access_key_id", "secret_access_key", "session_token"]
    ACCESS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    access_key_id: str
    secret_access_key: str
    session_token: str
    def __init__(self, access_key_id: _Optional[str] = ..., secret_access_key: _Optional[str] = ..., session_token: _Optional[str] = ...) -> None: ...

class CredentialHealth(_message.Message):
    __slots__ = ["cooldown_until", "last_error_class", "last_error_message", "reported_at", "reported_by", "status"]
    COOLDOWN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_CLASS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    cooldown_until: _timestamp_pb2.Timestamp
    last_error_class: _mcp_pb2.ErrorClass
    last_error_message: str
    reported_at: _timestamp_pb2.Timestamp
    reported_by: str
    status: CredentialHealthStatus
    def __init__(self, status: _Optional[_Union[CredentialHealthStatus, str]] = ..., cooldown_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_error_class: _Optional[_Union[_mcp_pb2.ErrorClass, str]] = ..., last_error_message: _Optional[str] = ..., reported_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., reported_by: _Optional[str] = ...) -> None: ...

class CredentialSecret(_message.Message):
    __slots__ = ["api_key", "aws", "google_service_account_json", "headers"]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    AWS_FIELD_NUMBER: _ClassVar[int]
    GOOGLE_SERVICE_ACCOUNT_JSON_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    aws: AwsSecret
    google_service_account_json: str
    headers: HeaderSecret
    def __init__(self, api_key: _Optional[str] = ..., aws: _Optional[_Union[AwsSecret, _Mapping]] = ..., google_service_account_json: _Optional[str] = ..., headers: _Optional[_Union[HeaderSecret, _Mapping]] = ...) -> None: ...

class CredentialVersion(_message.Message):
    __slots__ = ["created_at", "created_by", "masked", "state", "valid_until", "version"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    masked: str
    state: CredentialVersionState
    valid_until: _timestamp_pb2.Timestamp
    version: int
    def __init__(self, version: _Optional[int] = ..., state: _Optional[_Union[CredentialVersionState, str]] = ..., masked: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., valid_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class HeaderSecret(_message.Message):
    __slots__ = ["headers"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class KeyOwner(_message.Message):
    __slots__ = ["project", "team", "user"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    project: str
    team: str
    user: str
    def __init__(self, user: _Optional[str] = ..., team: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class KeyScopes(_message.Message):
    __slots__ = ["chains", "models", "prompt_apis", "routes"]
    CHAINS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_APIS_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    chains: _containers.RepeatedScalarFieldContainer[str]
    models: _containers.RepeatedScalarFieldContainer[str]
    prompt_apis: _containers.RepeatedScalarFieldContainer[str]
    routes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, routes: _Optional[_Iterable[str]] = ..., models: _Optional[_Iterable[str]] = ..., prompt_apis: _Optional[_Iterable[str]] = ..., chains: _Optional[_Iterable[str]] = ...) -> None: ...

class Principal(_message.Message):
    __slots__ = ["budget_ids", "expires_at", "key_id", "kind", "metadata", "name", "owner", "rate_limit_ids", "role", "scopes", "secret_version"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BUDGET_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_IDS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SECRET_VERSION_FIELD_NUMBER: _ClassVar[int]
    budget_ids: _containers.RepeatedScalarFieldContainer[str]
    expires_at: _timestamp_pb2.Timestamp
    key_id: str
    kind: PrincipalKind
    metadata: _containers.ScalarMap[str, str]
    name: str
    owner: KeyOwner
    rate_limit_ids: _containers.RepeatedScalarFieldContainer[str]
    role: AdminRole
    scopes: KeyScopes
    secret_version: int
    def __init__(self, kind: _Optional[_Union[PrincipalKind, str]] = ..., key_id: _Optional[str] = ..., name: _Optional[str] = ..., owner: _Optional[_Union[KeyOwner, _Mapping]] = ..., role: _Optional[_Union[AdminRole, str]] = ..., scopes: _Optional[_Union[KeyScopes, _Mapping]] = ..., budget_ids: _Optional[_Iterable[str]] = ..., rate_limit_ids: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., secret_version: _Optional[int] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProviderCredential(_message.Message):
    __slots__ = ["created_at", "current_version", "description", "disabled", "health", "masked", "name", "provider", "updated_at", "updated_by", "versions", "weight"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    current_version: int
    description: str
    disabled: bool
    health: CredentialHealth
    masked: str
    name: str
    provider: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    versions: _containers.RepeatedCompositeFieldContainer[CredentialVersion]
    weight: int
    def __init__(self, name: _Optional[str] = ..., provider: _Optional[str] = ..., weight: _Optional[int] = ..., disabled: bool = ..., description: _Optional[str] = ..., current_version: _Optional[int] = ..., masked: _Optional[str] = ..., versions: _Optional[_Iterable[_Union[CredentialVersion, _Mapping]]] = ..., health: _Optional[_Union[CredentialHealth, _Mapping]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class VirtualKey(_message.Message):
    __slots__ = ["budget_ids", "created_at", "created_by", "expires_at", "id", "metadata", "name", "owner", "previous_secret_expires_at", "rate_limit_ids", "revoke_reason", "revoked_at", "scopes", "secret_hint", "secret_version", "state", "updated_at"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BUDGET_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_IDS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINT_FIELD_NUMBER: _ClassVar[int]
    SECRET_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    budget_ids: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    expires_at: _timestamp_pb2.Timestamp
    id: str
    metadata: _containers.ScalarMap[str, str]
    name: str
    owner: KeyOwner
    previous_secret_expires_at: _timestamp_pb2.Timestamp
    rate_limit_ids: _containers.RepeatedScalarFieldContainer[str]
    revoke_reason: str
    revoked_at: _timestamp_pb2.Timestamp
    scopes: KeyScopes
    secret_hint: str
    secret_version: int
    state: KeyState
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., secret_hint: _Optional[str] = ..., owner: _Optional[_Union[KeyOwner, _Mapping]] = ..., scopes: _Optional[_Union[KeyScopes, _Mapping]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., budget_ids: _Optional[_Iterable[str]] = ..., rate_limit_ids: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[KeyState, str]] = ..., secret_version: _Optional[int] = ..., previous_secret_expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ...) -> None: ...

class CredentialVersionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class CredentialHealthStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class KeyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AdminRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PrincipalKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
