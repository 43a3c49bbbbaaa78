from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from manifold.mcp.v1 import mcp_pb2 as _mcp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CAPABILITY_AUDIO: Capability
CAPABILITY_DOCUMENTS: Capability
CAPABILITY_EMBEDDINGS: Capability
CAPABILITY_JSON_OBJECT: Capability
CAPABILITY_JSON_SCHEMA: Capability
CAPABILITY_STREAMING: Capability
CAPABILITY_TOOLS: Capability
CAPABILITY_UNSPECIFIED: Capability
CAPABILITY_VISION: Capability
CONTEXT_POLICY_DROP_OLDEST: ContextPolicy
CONTEXT_POLICY_REJECT: ContextPolicy
CONTEXT_POLICY_UNSPECIFIED: ContextPolicy
DESCRIPTOR: _descriptor.FileDescriptor
PROVIDER_KIND_ANTHROPIC: ProviderKind
PROVIDER_KIND_AZURE_OPENAI: ProviderKind
PROVIDER_KIND_BEDROCK: ProviderKind
PROVIDER_KIND_DEMO: ProviderKind
PROVIDER_KIND_GEMINI: ProviderKind
PROVIDER_KIND_OLLAMA: ProviderKind
PROVIDER_KIND_OPENAI: ProviderKind
PROVIDER_KIND_UNSPECIFIED: ProviderKind
REDACTION_POLICY_FULL: RedactionPolicy
REDACTION_POLICY_METADATA_ONLY: RedactionPolicy
REDACTION_POLICY_PII_MASKED: RedactionPolicy
REDACTION_POLICY_UNSPECIFIED: RedactionPolicy
STRATEGY_LOWEST_LATENCY: Strategy
STRATEGY_PRIORITY: Strategy
STRATEGY_UNSPECIFIED: Strategy
STRATEGY_WEIGHTED: Strategy

class CacheSettings(_message.Message):
    __slots__ = ["enabled", "ttl"]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    ttl: _duration_pb2.Duration
    def __init__(self, enabled: bool = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CircuitBreaker(_message.Message):
    __slots__ = ["failure_threshold", "open_for"]
    FAILURE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    OPEN_FOR_FIELD_NUMBER: _ClassVar[int]
    failure_threshold: int
    open_for: _duration_pb2.Duration
    def __init__(self, failure_threshold: _Optional[int] = ..., open_for: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CountTokensRequest(_message.Message):
    __slots__ = ["request"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _mcp_pb2.Request
    def __init__(self, request: _Optional[_Union[_mcp_pb2.Request, _Mapping]] = ...) -> None: ...

class CountTokensResponse(_message.Message):
    __slots__ = ["exact", "input_tokens"]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    exact: bool
    input_tokens: int
    def __init__(self, input_tokens: _Optional[int] = ..., exact: bool = ...) -> None: ...

class CredentialRef(_message.Message):
    __slots__ = ["name", "weight"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    name: str
    weight: int
    def __init__(self, name: _Optional[str] = ..., weight: _Optional[int] = ...) -> None: ...

class DeleteModelRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteModelResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteProviderRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteProviderResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteRouteRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteRouteResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class EmbedRequest(_message.Message):
    __slots__ = ["dimensions", "inputs", "model", "options"]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    dimensions: int
    inputs: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.EmbeddingInput]
    model: str
    options: _mcp_pb2.RequestOptions
    def __init__(self, model: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[_mcp_pb2.EmbeddingInput, _Mapping]]] = ..., dimensions: _Optional[int] = ..., options: _Optional[_Union[_mcp_pb2.RequestOptions, _Mapping]] = ...) -> None: ...

class EmbedResponse(_message.Message):
    __slots__ = ["embeddings", "metadata", "usage"]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    embeddings: _containers.RepeatedCompositeFieldContainer[_mcp_pb2.Embedding]
    metadata: _mcp_pb2.ResponseMetadata
    usage: _mcp_pb2.Usage
    def __init__(self, embeddings: _Optional[_Iterable[_Union[_mcp_pb2.Embedding, _Mapping]]] = ..., usage: _Optional[_Union[_mcp_pb2.Usage, _Mapping]] = ..., metadata: _Optional[_Union[_mcp_pb2.ResponseMetadata, _Mapping]] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ["request"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _mcp_pb2.Request
    def __init__(self, request: _Optional[_Union[_mcp_pb2.Request, _Mapping]] = ...) -> None: ...

class GenerateResponse(_message.Message):
    __slots__ = ["response"]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    response: _mcp_pb2.Response
    def __init__(self, response: _Optional[_Union[_mcp_pb2.Response, _Mapping]] = ...) -> None: ...

class GenerateStreamRequest(_message.Message):
    __slots__ = ["request"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _mcp_pb2.Request
    def __init__(self, request: _Optional[_Union[_mcp_pb2.Request, _Mapping]] = ...) -> None: ...

class GenerateStreamResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _mcp_pb2.StreamEvent
    def __init__(self, event: _Optional[_Union[_mcp_pb2.StreamEvent, _Mapping]] = ...) -> None: ...

class GetProviderRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetProviderResponse(_message.Message):
    __slots__ = ["provider"]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: Provider
    def __init__(self, provider: _Optional[_Union[Provider, _Mapping]] = ...) -> None: ...

class GetRouteRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetRouteResponse(_message.Message):
    __slots__ = ["route"]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: Route
    def __init__(self, route: _Optional[_Union[Route, _Mapping]] = ...) -> None: ...

class GetTargetHealthRequest(_message.Message):
    __slots__ = ["route"]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: str
    def __init__(self, route: _Optional[str] = ...) -> None: ...

class GetTargetHealthResponse(_message.Message):
    __slots__ = ["targets"]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    targets: _containers.RepeatedCompositeFieldContainer[TargetHealth]
    def __init__(self, targets: _Optional[_Iterable[_Union[TargetHealth, _Mapping]]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ["models", "routes"]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    routes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ..., routes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListProvidersRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ["providers"]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[Provider]
    def __init__(self, providers: _Optional[_Iterable[_Union[Provider, _Mapping]]] = ...) -> None: ...

class ListRoutesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListRoutesResponse(_message.Message):
    __slots__ = ["routes"]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    def __init__(self, routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ["capabilities", "context_window", "max_output_tokens", "name", "prices", "provider", "upstream_model"]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    MAX_OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_MODEL_FIELD_NUMBER: _ClassVar[int]
    capabilities: _containers.RepeatedScalarFieldContainer[Capability]
    context_window: int
    max_output_tokens: int
    name: str
    prices: Prices
    provider: str
    upstream_model: str
    def __init__(self, name: _Optional[str] = ..., provider: _Optional[str] = ..., upstream_model: _Optional[str] = ..., context_window: _Optional[int] = ..., max_output_tokens: _Optional[int] = ..., capabilities: _Optional[_Iterable[_Union[Capability, str]]] = ..., prices: _Optional[_Union[Prices, _Mapping]] = ...) -> None: ...

class Prices(_message.Message):
    __slots__ = ["cache_write_per_mtok_micros", "cached_input_per_mtok_micros", "input_per_mtok_micros", "output_per_mtok_micros", "reasoning_per_mtok_micros"]
    CACHED_INPUT_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    INPUT_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    REASONING_PER_MTOK_MICROS_FIELD_NUMBER: _ClassVar[int]
    cache_write_per_mtok_micros: int
    cached_input_per_mtok_micros: int
    input_per_mtok_micros: int
    output_per_mtok_micros: int
    reasoning_per_mtok_micros: int
    def __init__(self, input_per_mtok_micros: _Optional[int] = ..., output_per_mtok_micros: _Optional[int] = ..., cached_input_per_mtok_micros: _Optional[int] = ..., cache_write_per_mtok_micros: _Optional[int] = ..., reasoning_per_mtok_micros: _Optional[int] = ...) -> None: ...

class Provider(_message.Message):
    __slots__ = ["api_version", "base_url", "credentials", "flavor", "headers", "kind", "name", "region", "timeout"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    api_version: str
    base_url: str
    credentials: _containers.RepeatedCompositeFieldContainer[CredentialRef]
    flavor: str
    headers: _containers.ScalarMap[str, str]
    kind: ProviderKind
    name: str
    region: str
    timeout: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[ProviderKind, str]] = ..., base_url: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., credentials: _Optional[_Iterable[_Union[CredentialRef, _Mapping]]] = ..., api_version: _Optional[str] = ..., region: _Optional[str] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., flavor: _Optional[str] = ...) -> None: ...

class PurgeCacheRequest(_message.Message):
    __slots__ = ["route"]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: str
    def __init__(self, route: _Optional[str] = ...) -> None: ...

class PurgeCacheResponse(_message.Message):
    __slots__ = ["entries"]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: int
    def __init__(self, entries: _Optional[int] = ...) -> None: ...

class PutModelRequest(_message.Message):
    __slots__ = ["model"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class PutModelResponse(_message.Message):
    __slots__ = ["model"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class PutProviderRequest(_message.Message):
    __slots__ = ["provider"]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: Provider
    def __init__(self, provider: _Optional[_Union[Provider, _Mapping]] = ...) -> None: ...

class PutProviderResponse(_message.Message):
    __slots__ = ["provider"]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: Provider
    def __init__(self, provider: _Optional[_Union[Provider, _Mapping]] = ...) -> None: ...

class PutRouteRequest(_message.Message):
    __slots__ = ["route"]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: Route
    def __init__(self, route: _Optional[_Union[Route, _Mapping]] = ...) -> None: ...

class PutRouteResponse(_message.Message):
    __slots__ = ["route"]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: Route
    def __init__(self, route: _Optional[_Union[Route, _Mapping]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ["initial_backoff", "max_attempts", "max_backoff", "max_retry_after", "retry_on"]
    INITIAL_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    RETRY_ON_FIELD_NUMBER: _ClassVar[int]
    initial_backoff: _duration_pb2.Duration
    max_attempts: int
    max_backoff: _duration_pb2.Duration
    max_retry_after: _duration_pb2.Duration
    retry_on: _containers.RepeatedScalarFieldContainer[_mcp_pb2.ErrorClass]
    def __init__(self, max_attempts: _Optional[int] = ..., initial_backoff: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_backoff: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_retry_after: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., retry_on: _Optional[_Iterable[_Union[_mcp_pb2.ErrorClass, str]]] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ["attempt_timeout", "cache", "circuit_breaker", "context_policy", "name", "pii_guardrail", "redaction", "retry", "strategy", "targets", "total_timeout", "updated_at"]
    ATTEMPT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    CIRCUIT_BREAKER_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_POLICY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PII_GUARDRAIL_FIELD_NUMBER: _ClassVar[int]
    REDACTION_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    attempt_timeout: _duration_pb2.Duration
    cache: CacheSettings
    circuit_breaker: CircuitBreaker
    context_policy: ContextPolicy
    name: str
    pii_guardrail: bool
    redaction: RedactionPolicy
    retry: RetryPolicy
    strategy: Strategy
    targets: _containers.RepeatedCompositeFieldContainer[Target]
    total_timeout: _duration_pb2.Duration
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., targets: _Optional[_Iterable[_Union[Target, _Mapping]]] = ..., strategy: _Optional[_Union[Strategy, str]] = ..., retry: _Optional[_Union[RetryPolicy, _Mapping]] = ..., attempt_timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., total_timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., circuit_breaker: _Optional[_Union[CircuitBreaker, _Mapping]] = ..., context_policy: _Optional[_Union[ContextPolicy, str]] = ..., cache: _Optional[_Union[CacheSettings, _Mapping]] = ..., redaction: _Optional[_Union[RedactionPolicy, str]] = ..., pii_guardrail: bool = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Target(_message.Message):
    __slots__ = ["credential", "model", "weight"]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    credential: str
    model: str
    weight: int
    def __init__(self, model: _Optional[str] = ..., weight: _Optional[int] = ..., credential: _Optional[str] = ...) -> None: ...

class TargetHealth(_message.Message):
    __slots__ = ["average_latency", "circuit_open", "consecutive_failures", "model", "route"]
    AVERAGE_LATENCY_FIELD_NUMBER: _ClassVar[int]
    CIRCUIT_OPEN_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    average_latency: _duration_pb2.Duration
    circuit_open: bool
    consecutive_failures: int
    model: str
    route: str
    def __init__(self, route: _Optional[str] = ..., model: _Optional[str] = ..., circuit_open: bool = ..., consecutive_failures: _Optional[int] = ..., average_latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ProviderKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Capability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Strategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ContextPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RedactionPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
