from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
LABEL_STICKINESS_KEY: LabelStickiness
LABEL_STICKINESS_REQUEST: LabelStickiness
LABEL_STICKINESS_UNSPECIFIED: LabelStickiness
LABEL_STICKINESS_USER: LabelStickiness

class Label(_message.Message):
    __slots__ = ["name", "stickiness", "targets", "updated_at", "updated_by"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STICKINESS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    stickiness: LabelStickiness
    targets: _containers.RepeatedCompositeFieldContainer[LabelTarget]
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, name: _Optional[str] = ..., targets: _Optional[_Iterable[_Union[LabelTarget, _Mapping]]] = ..., stickiness: _Optional[_Union[LabelStickiness, str]] = ..., updated_by: _Optional[str] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LabelTarget(_message.Message):
    __slots__ = ["version", "weight"]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    version: int
    weight: int
    def __init__(self, version: _Optional[int] = ..., weight: _Optional[int] = ...) -> None: ...

class Prompt(_message.Message):
    __slots__ = ["created_at", "description", "labels", "latest_version", "name", "updated_at"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    description: str
    labels: _containers.RepeatedCompositeFieldContainer[Label]
    latest_version: int
    name: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., latest_version: _Optional[int] = ..., labels: _Optional[_Iterable[_Union[Label, _Mapping]]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PromptEntry(_message.Message):
    __slots__ = ["labeled_versions", "prompt"]
    LABELED_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    labeled_versions: _containers.RepeatedCompositeFieldContainer[PromptVersion]
    prompt: Prompt
    def __init__(self, prompt: _Optional[_Union[Prompt, _Mapping]] = ..., labeled_versions: _Optional[_Iterable[_Union[PromptVersion, _Mapping]]] = ...) -> None: ...

class PromptTemplate(_message.Message):
    __slots__ = ["defaults", "messages", "variables_schema"]
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    defaults: RequestDefaults
    messages: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.Message]
    variables_schema: _struct_pb2.Struct
    def __init__(self, messages: _Optional[_Iterable[_Union[_mcp_pb2.Message, _Mapping]]] = ..., defaults: _Optional[_Union[RequestDefaults, _Mapping]] = ..., variables_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class PromptVersion(_message.Message):
    __slots__ = ["author", "created_at", "digest", "message", "prompt_name", "template", "version"]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    author: str
    created_at: _timestamp_pb2.Timestamp
    digest: str
    message: str
    prompt_name: str
    template: PromptTemplate
    version: int
    def __init__(self, prompt_name: _Optional[str] = ..., version: _Optional[int] = ..., template: _Optional[_Union[PromptTemplate, _Mapping]] = ..., author: _Optional[str] = ..., message: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., digest: _Optional[str] = ...) -> None: ...

class Publication(_message.Message):
    __slots__ = ["allow_streaming", "created_at", "created_by", "description", "label", "prompt_name", "slug", "updated_at"]
    ALLOW_STREAMING_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    allow_streaming: bool
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    description: str
    label: str
    prompt_name: str
    slug: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, slug: _Optional[str] = ..., prompt_name: _Optional[str] = ..., label: _Optional[str] = ..., allow_streaming: bool = ..., description: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RequestDefaults(_message.Message):
    __slots__ = ["model", "response_format", "sampling", "tool_choice", "tools"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    model: str
    response_format: _mcp_pb2.ResponseFormat
    sampling: _mcp_pb2.SamplingParams
    tool_choice: _mcp_pb2.ToolChoice
    tools: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.Tool]
    def __init__(self, model: _Optional[str] = ..., sampling: _Optional[_Union[_mcp_pb2.SamplingParams, _Mapping]] = ..., tools: _Optional[_Iterable[_Union[_mcp_pb2.Tool, _Mapping]]] = ..., tool_choice: _Optional[_Union[_mcp_pb2.ToolChoice, _Mapping]] = ..., response_format: _Optional[_Union[_mcp_pb2.ResponseFormat, _Mapping]] = ...) -> None: ...

class LabelStickiness(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
