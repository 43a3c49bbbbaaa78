from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from manifold.prompts.v1 import prompts_pb2 as _prompts_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreatePromptRequest(_message.Message):
    __slots__ = ["description", "labels", "message", "name", "template"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    description: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    message: str
    name: str
    template: _prompts_pb2.PromptTemplate
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., template: _Optional[_Union[_prompts_pb2.PromptTemplate, _Mapping]] = ..., message: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class CreatePromptResponse(_message.Message):
    __slots__ = ["prompt", "version"]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    prompt: _prompts_pb2.Prompt
    version: _prompts_pb2.PromptVersion
    def __init__(self, prompt: _Optional[_Union[_prompts_pb2.Prompt, _Mapping]] = ..., version: _Optional[_Union[_prompts_pb2.PromptVersion, _Mapping]] = ...) -> None: ...

class DeleteLabelRequest(_message.Message):
    __slots__ = ["label", "name"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class DeleteLabelResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeletePromptRequest(_message.Message):
    __slots__ = ["force", "name"]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    force: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., force: bool = ...) -> None: ...

class DeletePromptResponse(_message.Message):
    __slots__ = ["unpublished_slugs"]
    UNPUBLISHED_SLUGS_FIELD_NUMBER: _ClassVar[int]
    unpublished_slugs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, unpublished_slugs: _Optional[_Iterable[str]] = ...) -> None: ...

class DiffPromptVersionsRequest(_message.Message):
    __slots__ = ["context_lines", "from_version", "name", "to_version"]
    CONTEXT_LINES_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    context_lines: int
    from_version: int
    name: str
    to_version: int
    def __init__(self, name: _Optional[str] = ..., from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., context_lines: _Optional[int] = ...) -> None: ...

class DiffPromptVersionsResponse(_message.Message):
    __slots__ = ["identical", "unified_diff"]
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    UNIFIED_DIFF_FIELD_NUMBER: _ClassVar[int]
    identical: bool
    unified_diff: str
    def __init__(self, unified_diff: _Optional[str] = ..., identical: bool = ...) -> None: ...

class GetOpenApiDocumentRequest(_message.Message):
    __slots__ = ["server_url"]
    SERVER_URL_FIELD_NUMBER: _ClassVar[int]
    server_url: str
    def __init__(self, server_url: _Optional[str] = ...) -> None: ...

class GetOpenApiDocumentResponse(_message.Message):
    __slots__ = ["document_json"]
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    document_json: str
    def __init__(self, document_json: _Optional[str] = ...) -> None: ...

class GetPromptRequest(_message.Message):
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

class GetPromptResponse(_message.Message):
    __slots__ = ["prompt", "version"]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    prompt: _prompts_pb2.Prompt
    version: _prompts_pb2.PromptVersion
    def __init__(self, prompt: _Optional[_Union[_prompts_pb2.Prompt, _Mapping]] = ..., version: _Optional[_Union[_prompts_pb2.PromptVersion, _Mapping]] = ...) -> None: ...

class ListPromptVersionsRequest(_message.Message):
    __slots__ = ["name", "page_size", "page_token"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPromptVersionsResponse(_message.Message):
    __slots__ = ["next_page_token", "versions"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    versions: _containers.RepeatedCompositeFieldContainer[_prompts_pb2.PromptVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[_prompts_pb2.PromptVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPromptsRequest(_message.Message):
    __slots__ = ["label", "name_prefix", "page_size", "page_token"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    label: str
    name_prefix: str
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., name_prefix: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class ListPromptsResponse(_message.Message):
    __slots__ = ["next_page_token", "prompts"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROMPTS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    prompts: _containers.RepeatedCompositeFieldContainer[_prompts_pb2.Prompt]
    def __init__(self, prompts: _Optional[_Iterable[_Union[_prompts_pb2.Prompt, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPublicationsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "prompt_name"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    prompt_name: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., prompt_name: _Optional[str] = ...) -> None: ...

class ListPublicationsResponse(_message.Message):
    __slots__ = ["next_page_token", "publications"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PUBLICATIONS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    publications: _containers.RepeatedCompositeFieldContainer[_prompts_pb2.Publication]
    def __init__(self, publications: _Optional[_Iterable[_Union[_prompts_pb2.Publication, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PromptChange(_message.Message):
    __slots__ = ["prompt_deleted", "prompt_upserted", "publication_deleted", "publication_upserted"]
    PROMPT_DELETED_FIELD_NUMBER: _ClassVar[int]
    PROMPT_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    PUBLICATION_DELETED_FIELD_NUMBER: _ClassVar[int]
    PUBLICATION_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    prompt_deleted: str
    prompt_upserted: _prompts_pb2.PromptEntry
    publication_deleted: str
    publication_upserted: _prompts_pb2.Publication
    def __init__(self, prompt_upserted: _Optional[_Union[_prompts_pb2.PromptEntry, _Mapping]] = ..., prompt_deleted: _Optional[str] = ..., publication_upserted: _Optional[_Union[_prompts_pb2.Publication, _Mapping]] = ..., publication_deleted: _Optional[str] = ...) -> None: ...

class PromptSnapshot(_message.Message):
    __slots__ = ["complete", "prompts", "publications"]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    PROMPTS_FIELD_NUMBER: _ClassVar[int]
    PUBLICATIONS_FIELD_NUMBER: _ClassVar[int]
    complete: bool
    prompts: _containers.RepeatedCompositeFieldContainer[_prompts_pb2.PromptEntry]
    publications: _containers.RepeatedCompositeFieldContainer[_prompts_pb2.Publication]
    def __init__(self, prompts: _Optional[_Iterable[_Union[_prompts_pb2.PromptEntry, _Mapping]]] = ..., publications: _Optional[_Iterable[_Union[_prompts_pb2.Publication, _Mapping]]] = ..., complete: bool = ...) -> None: ...

class PublishPromptRequest(_message.Message):
    __slots__ = ["allow_streaming", "description", "label", "prompt_name", "slug"]
    ALLOW_STREAMING_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    allow_streaming: bool
    description: str
    label: str
    prompt_name: str
    slug: str
    def __init__(self, slug: _Optional[str] = ..., prompt_name: _Optional[str] = ..., label: _Optional[str] = ..., allow_streaming: bool = ..., description: _Optional[str] = ...) -> None: ...

class PublishPromptResponse(_message.Message):
    __slots__ = ["publication"]
    PUBLICATION_FIELD_NUMBER: _ClassVar[int]
    publication: _prompts_pb2.Publication
    def __init__(self, publication: _Optional[_Union[_prompts_pb2.Publication, _Mapping]] = ...) -> None: ...

class RenderPromptRequest(_message.Message):
    __slots__ = ["label", "name", "split_key", "variables", "version"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPLIT_KEY_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    split_key: str
    variables: _struct_pb2.Struct
    version: int
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ..., version: _Optional[int] = ..., variables: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., split_key: _Optional[str] = ...) -> None: ...

class RenderPromptResponse(_message.Message):
    __slots__ = ["defaults", "label", "messages", "version"]
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    defaults: _prompts_pb2.RequestDefaults
    label: str
    messages: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.Message]
    version: int
    def __init__(self, messages: _Optional[_Iterable[_Union[_mcp_pb2.Message, _Mapping]]] = ..., version: _Optional[int] = ..., label: _Optional[str] = ..., defaults: _Optional[_Union[_prompts_pb2.RequestDefaults, _Mapping]] = ...) -> None: ...

class SetLabelRequest(_message.Message):
    __slots__ = ["label", "name", "stickiness", "targets"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STICKINESS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    stickiness: _prompts_pb2.LabelStickiness
    targets: _containers.RepeatedCompositeFieldContainer[_prompts_pb2.LabelTarget]
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ..., targets: _Optional[_Iterable[_Union[_prompts_pb2.LabelTarget, _Mapping]]] = ..., stickiness: _Optional[_Union[_prompts_pb2.LabelStickiness, str]] = ...) -> None: ...

class SetLabelResponse(_message.Message):
    __slots__ = ["label"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: _prompts_pb2.Label
    def __init__(self, label: _Optional[_Union[_prompts_pb2.Label, _Mapping]] = ...) -> None: ...

class UnpublishPromptRequest(_message.Message):
    __slots__ = ["slug"]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    slug: str
    def __init__(self, slug: _Optional[str] = ...) -> None: ...

class UnpublishPromptResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class UpdatePromptRequest(_message.Message):
    __slots__ = ["base_version", "description", "labels", "message", "name", "template", "update_mask"]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    base_version: int
    description: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    message: str
    name: str
    template: _prompts_pb2.PromptTemplate
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, name: _Optional[str] = ..., template: _Optional[_Union[_prompts_pb2.PromptTemplate, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., base_version: _Optional[int] = ..., message: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class UpdatePromptResponse(_message.Message):
    __slots__ = ["prompt", "unchanged", "version"]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    prompt: _prompts_pb2.Prompt
    unchanged: bool
    version: _prompts_pb2.PromptVersion
    def __init__(self, prompt: _Optional[_Union[_prompts_pb2.Prompt, _Mapping]] = ..., version: _Optional[_Union[_prompts_pb2.PromptVersion, _Mapping]] = ..., unchanged: bool = ...) -> None: ...

class WatchPromptsRequest(_message.Message):
    __slots__ = ["after_revision"]
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    after_revision: int
    def __init__(self, after_revision: _Optional[int] = ...) -> None: ...

class WatchPromptsResponse(_message.Message):
    __slots__ = ["change", "heartbeat", "revision", "snapshot"]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    change: PromptChange
    heartbeat: _timestamp_pb2.Timestamp
    revision: int
    snapshot: PromptSnapshot
    def __init__(self, revision: _Optional[int] = ..., snapshot: _Optional[_Union[PromptSnapshot, _Mapping]] = ..., change: _Optional[_Union[PromptChange, _Mapping]] = ..., heartbeat: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
