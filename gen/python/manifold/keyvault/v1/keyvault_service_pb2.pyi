from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.keyvault.v1 import keyvault_pb2 as _keyvault_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthenticateKeyRequest(_message.Message):
    __slots__ = ["secret"]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    secret: str
    def __init__(self, secret: _Optional[str] = ...) -> None: ...

class AuthenticateKeyResponse(_message.Message):
    __slots__ = ["principal"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: _keyvault_pb2.Principal
    def __init__(self, principal: _Optional[_Union[_keyvault_pb2.Principal, _Mapping]] = ...) -> None: ...

class CreateAdminKeyRequest(_message.Message):
    __slots__ = ["expires_at", "name", "role", "user"]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    expires_at: _timestamp_pb2.Timestamp
    name: str
    role: _keyvault_pb2.AdminRole
    user: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[_keyvault_pb2.AdminRole, str]] = ..., user: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateAdminKeyResponse(_message.Message):
    __slots__ = ["key", "secret"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.AdminKey
    secret: str
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.AdminKey, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class CreateVirtualKeyRequest(_message.Message):
    __slots__ = ["budget_ids", "expires_at", "metadata", "name", "owner", "rate_limit_ids", "scopes"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BUDGET_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_IDS_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    budget_ids: _containers.RepeatedScalarFieldContainer[str]
    expires_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    name: str
    owner: _keyvault_pb2.KeyOwner
    rate_limit_ids: _containers.RepeatedScalarFieldContainer[str]
    scopes: _keyvault_pb2.KeyScopes
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[_Union[_keyvault_pb2.KeyOwner, _Mapping]] = ..., scopes: _Optional[_Union[_keyvault_pb2.KeyScopes, _Mapping]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., budget_ids: _Optional[_Iterable[str]] = ..., rate_limit_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateVirtualKeyResponse(_message.Message):
    __slots__ = ["key", "secret"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.VirtualKey
    secret: str
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class DeleteCredentialRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteCredentialResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetCredentialRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetCredentialResponse(_message.Message):
    __slots__ = ["credential"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    credential: _keyvault_pb2.ProviderCredential
    def __init__(self, credential: _Optional[_Union[_keyvault_pb2.ProviderCredential, _Mapping]] = ...) -> None: ...

class GetVirtualKeyRequest(_message.Message):
    __slots__ = ["key_id"]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class GetVirtualKeyResponse(_message.Message):
    __slots__ = ["key"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.VirtualKey
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ...) -> None: ...

class KeyChange(_message.Message):
    __slots__ = ["admin_key_revoked", "admin_key_upserted", "credential_deleted", "credential_upserted", "virtual_key_revoked", "virtual_key_upserted"]
    ADMIN_KEY_REVOKED_FIELD_NUMBER: _ClassVar[int]
    ADMIN_KEY_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_DELETED_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_KEY_REVOKED_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_KEY_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    admin_key_revoked: str
    admin_key_upserted: _keyvault_pb2.AdminKey
    credential_deleted: str
    credential_upserted: _keyvault_pb2.ProviderCredential
    virtual_key_revoked: str
    virtual_key_upserted: _keyvault_pb2.VirtualKey
    def __init__(self, virtual_key_upserted: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ..., virtual_key_revoked: _Optional[str] = ..., admin_key_upserted: _Optional[_Union[_keyvault_pb2.AdminKey, _Mapping]] = ..., admin_key_revoked: _Optional[str] = ..., credential_upserted: _Optional[_Union[_keyvault_pb2.ProviderCredential, _Mapping]] = ..., credential_deleted: _Optional[str] = ...) -> None: ...

class KeySnapshot(_message.Message):
    __slots__ = ["admin_keys", "complete", "credentials", "virtual_keys"]
    ADMIN_KEYS_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_KEYS_FIELD_NUMBER: _ClassVar[int]
    admin_keys: _containers.RepeatedCompositeFieldContainer[_keyvault_pb2.AdminKey]
    complete: bool
    credentials: _containers.RepeatedCompositeFieldContainer[_keyvault_pb2.ProviderCredential]
    virtual_keys: _containers.RepeatedCompositeFieldContainer[_keyvault_pb2.VirtualKey]
    def __init__(self, virtual_keys: _Optional[_Iterable[_Union[_keyvault_pb2.VirtualKey, _Mapping]]] = ..., admin_keys: _Optional[_Iterable[_Union[_keyvault_pb2.AdminKey, _Mapping]]] = ..., credentials: _Optional[_Iterable[_Union[_keyvault_pb2.ProviderCredential, _Mapping]]] = ..., complete: bool = ...) -> None: ...

class ListAdminKeysRequest(_message.Message):
    __slots__ = ["include_inactive", "page_size", "page_token"]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    include_inactive: bool
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_inactive: bool = ...) -> None: ...

class ListAdminKeysResponse(_message.Message):
    __slots__ = ["keys", "next_page_token"]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[_keyvault_pb2.AdminKey]
    next_page_token: str
    def __init__(self, keys: _Optional[_Iterable[_Union[_keyvault_pb2.AdminKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCredentialsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "provider"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    provider: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class ListCredentialsResponse(_message.Message):
    __slots__ = ["credentials", "next_page_token"]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    credentials: _containers.RepeatedCompositeFieldContainer[_keyvault_pb2.ProviderCredential]
    next_page_token: str
    def __init__(self, credentials: _Optional[_Iterable[_Union[_keyvault_pb2.ProviderCredential, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListVirtualKeysRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "project", "states", "team", "user"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    project: str
    states: _containers.RepeatedScalarFieldContainer[_keyvault_pb2.KeyState]
    team: str
    user: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., user: _Optional[str] = ..., team: _Optional[str] = ..., project: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_keyvault_pb2.KeyState, str]]] = ...) -> None: ...

class ListVirtualKeysResponse(_message.Message):
    __slots__ = ["keys", "next_page_token"]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[_keyvault_pb2.VirtualKey]
    next_page_token: str
    def __init__(self, keys: _Optional[_Iterable[_Union[_keyvault_pb2.VirtualKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PutCredentialRequest(_message.Message):
    __slots__ = ["credential", "secret"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    credential: _keyvault_pb2.ProviderCredential
    secret: _keyvault_pb2.CredentialSecret
    def __init__(self, credential: _Optional[_Union[_keyvault_pb2.ProviderCredential, _Mapping]] = ..., secret: _Optional[_Union[_keyvault_pb2.CredentialSecret, _Mapping]] = ...) -> None: ...

class PutCredentialResponse(_message.Message):
    __slots__ = ["credential"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    credential: _keyvault_pb2.ProviderCredential
    def __init__(self, credential: _Optional[_Union[_keyvault_pb2.ProviderCredential, _Mapping]] = ...) -> None: ...

class ReportCredentialStatusRequest(_message.Message):
    __slots__ = ["cooldown", "error_class", "message", "name", "replica_id", "version"]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    ERROR_CLASS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    cooldown: _duration_pb2.Duration
    error_class: _mcp_pb2.ErrorClass
    message: str
    name: str
    replica_id: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., error_class: _Optional[_Union[_mcp_pb2.ErrorClass, str]] = ..., cooldown: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., message: _Optional[str] = ..., replica_id: _Optional[str] = ...) -> None: ...

class ReportCredentialStatusResponse(_message.Message):
    __slots__ = ["health"]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    health: _keyvault_pb2.CredentialHealth
    def __init__(self, health: _Optional[_Union[_keyvault_pb2.CredentialHealth, _Mapping]] = ...) -> None: ...

class ResolveCredentialRequest(_message.Message):
    __slots__ = ["name", "version"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ResolveCredentialResponse(_message.Message):
    __slots__ = ["name", "provider", "secret", "valid_until", "version"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    provider: str
    secret: _keyvault_pb2.CredentialSecret
    valid_until: _timestamp_pb2.Timestamp
    version: int
    def __init__(self, name: _Optional[str] = ..., provider: _Optional[str] = ..., version: _Optional[int] = ..., secret: _Optional[_Union[_keyvault_pb2.CredentialSecret, _Mapping]] = ..., valid_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RevokeAdminKeyRequest(_message.Message):
    __slots__ = ["key_id", "reason"]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    reason: str
    def __init__(self, key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeAdminKeyResponse(_message.Message):
    __slots__ = ["key"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.AdminKey
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.AdminKey, _Mapping]] = ...) -> None: ...

class RevokeVirtualKeyRequest(_message.Message):
    __slots__ = ["key_id", "reason"]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    reason: str
    def __init__(self, key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeVirtualKeyResponse(_message.Message):
    __slots__ = ["key"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.VirtualKey
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ...) -> None: ...

class RotateCredentialRequest(_message.Message):
    __slots__ = ["grace_period", "name", "secret"]
    GRACE_PERIOD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    grace_period: _duration_pb2.Duration
    name: str
    secret: _keyvault_pb2.CredentialSecret
    def __init__(self, name: _Optional[str] = ..., secret: _Optional[_Union[_keyvault_pb2.CredentialSecret, _Mapping]] = ..., grace_period: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RotateCredentialResponse(_message.Message):
    __slots__ = ["credential"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    credential: _keyvault_pb2.ProviderCredential
    def __init__(self, credential: _Optional[_Union[_keyvault_pb2.ProviderCredential, _Mapping]] = ...) -> None: ...

class RotateMasterKeyRequest(_message.Message):
    __slots__ = ["dry_run", "new_master_key_id"]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    NEW_MASTER_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    new_master_key_id: str
    def __init__(self, new_master_key_id: _Optional[str] = ..., dry_run: bool = ...) -> None: ...

class RotateMasterKeyResponse(_message.Message):
    __slots__ = ["data_keys_rewrapped", "master_key_id", "previous_master_key_id"]
    DATA_KEYS_REWRAPPED_FIELD_NUMBER: _ClassVar[int]
    MASTER_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_MASTER_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    data_keys_rewrapped: int
    master_key_id: str
    previous_master_key_id: str
    def __init__(self, previous_master_key_id: _Optional[str] = ..., master_key_id: _Optional[str] = ..., data_keys_rewrapped: _Optional[int] = ...) -> None: ...

class RotateVirtualKeyRequest(_message.Message):
    __slots__ = ["grace_period", "key_id"]
    GRACE_PERIOD_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    grace_period: _duration_pb2.Duration
    key_id: str
    def __init__(self, key_id: _Optional[str] = ..., grace_period: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RotateVirtualKeyResponse(_message.Message):
    __slots__ = ["key", "secret"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.VirtualKey
    secret: str
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class UpdateVirtualKeyRequest(_message.Message):
    __slots__ = ["key", "update_mask"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.VirtualKey
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateVirtualKeyResponse(_message.Message):
    __slots__ = ["key"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _keyvault_pb2.VirtualKey
    def __init__(self, key: _Optional[_Union[_keyvault_pb2.VirtualKey, _Mapping]] = ...) -> None: ...

class WatchKeysRequest(_message.Message):
    __slots__ = ["after_revision"]
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    after_revision: int
    def __init__(self, after_revision: _Optional[int] = ...) -> None: ...

class WatchKeysResponse(_message.Message):
    __slots__ = ["change", "heartbeat", "revision", "snapshot"]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    change: KeyChange
    heartbeat: _timestamp_pb2.Timestamp
    revision: int
    snapshot: KeySnapshot
    def __init__(self, revision: _Optional[int] = ..., snapshot: _Optional[_Union[KeySnapshot, _Mapping]] = ..., change: _Optional[_Union[KeyChange, _Mapping]] = ..., heartbeat: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class WhoAmIResponse(_message.Message):
    __slots__ = ["principal"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: _keyvault_pb2.Principal
    def __init__(self, principal: _Optional[_Union[_keyvault_pb2.Principal, _Mapping]] = ...) -> None: ...
