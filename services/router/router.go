// Package router is the data plane: it takes standard requests, resolves the
// requested model or route alias against the catalog, tries the route's
// targets with retries, fallbacks and circuit breakers, and returns or
// streams the answer. It also serves the catalog's admin RPCs.
package router

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Surface names where a call came in, for metadata and the call log.
type Surface string

// Surfaces.
const (
	SurfaceConnect   Surface = "connect"
	SurfaceOpenAI    Surface = "openai"
	SurfaceAnthropic Surface = "anthropic"
	SurfacePromptAPI Surface = "prompt_api"
	SurfaceWorkflow  Surface = "workflow"
)

// Service implements RouterService and the engine behind every surface.
type Service struct {
	routerv1connect.UnimplementedRouterServiceHandler

	// authFailures slows down clients whose virtual keys keep failing.
	authFailures access.Throttle

	cfg    Config
	logger *slog.Logger
	now    func() time.Time
	client *http.Client

	cat    atomic.Pointer[catalog]
	states stateTable
	cool   sync.Map // credential name → time.Time the cool-down ends
	cache  *responseCache

	hooks Hooks

	mu    sync.Mutex // serialises catalog rebuilds and admin writes
	spec  Spec       // the catalog as last applied
	store *storage.Documents
}

// New returns a router serving the built-in demo model plus the catalog of
// cfg.Catalog. It panics on nothing: a bad catalog is reported by Validate.
func New(cfg Config, logger *slog.Logger) *Service {
	s := &Service{
		cfg:    cfg,
		logger: logger,
		now:    time.Now,
		client: newHTTPClient(),
		cache:  newResponseCache(cfg.CacheMaxEntries, cfg.CacheMaxBytes),
	}
	if err := s.apply(cfg.Catalog); err != nil {
		// Validate checked the catalog at start-up; fall back to demo only.
		logger.Error("router catalog rejected", "err", err)
		_ = s.apply(Spec{})
	}
	return s
}

// newHTTPClient returns the pooled client every adapter shares; a stream's
// surface flushes before each read of the upstream body (provider.Flusher).
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return &http.Client{Transport: provider.FlushingTransport(t)}
}

// plan resolves a request to its route and targets.
func (s *Service) plan(r *mcpv1.Request) (*catalog, *plan, error) {
	c := s.cat.Load()
	route, err := c.resolve(r.GetModel())
	if err != nil {
		return nil, nil, err
	}
	targets, err := c.bind(route)
	if err != nil {
		return nil, nil, err
	}
	return c, &plan{route: route, targets: order(route, targets, &s.states, route.GetTargets())}, nil
}

// attemptFunc runs one attempt; committed reports whether anything reached
// the client (after which no fallback is possible).
type attemptFunc func(ctx context.Context, bt *boundTarget, call *provider.Call, firstByte func()) (committed bool, err error)

// run tries the plan's targets under the route's retry policy.
func (s *Service) run(ctx context.Context, p *plan, r *mcpv1.Request, stream bool, do attemptFunc) (*boundTarget, []*mcpv1.Attempt, error) {
	bt, attempts, err := s.tryTargets(ctx, p, r, stream, do)
	return bt, attempts, callerError(err)
}

// callerError is what the caller is told of a failed call. A provider that
// refuses the gateway's own credential (authentication or permission) is
// the gateway's problem, not the caller's key: the caller is told that the
// provider is unavailable, without the provider's words, which may quote
// the credential. The attempts keep the provider's answer for the call log.
func callerError(err error) error {
	if err == nil {
		return nil
	}
	e := apierror.As(err)
	if e.Provider == "" || e.Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION && e.Class != mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED {
		return err
	}
	out := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "provider %q refused the gateway's credentials; the gateway's operator must fix them", e.Provider)
	out.Provider = e.Provider
	return out
}

// tryTargets makes the attempts of a call, target after target, under the
// route's retry policy.
func (s *Service) tryTargets(ctx context.Context, p *plan, r *mcpv1.Request, stream bool, do attemptFunc) (*boundTarget, []*mcpv1.Attempt, error) {
	route := p.route
	policy := route.GetRetry()
	if d := route.GetTotalTimeout().AsDuration(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	targets, capErr := servable(p.targets, r, stream)
	if len(targets) == 0 {
		return nil, nil, capErr
	}
	maxAttempts := int(policy.GetMaxAttempts())
	if maxAttempts == 0 {
		maxAttempts = len(targets)
	}
	backoff := policy.GetInitialBackoff().AsDuration()
	if backoff <= 0 {
		backoff = 50 * time.Millisecond
	}
	maxBackoff := policy.GetMaxBackoff().AsDuration()
	if maxBackoff <= 0 {
		maxBackoff = 2 * time.Second
	}
	maxRetryAfter := policy.GetMaxRetryAfter().AsDuration()
	if maxRetryAfter <= 0 {
		maxRetryAfter = 10 * time.Second
	}
	var attempts []*mcpv1.Attempt
	var lastErr error
	tried := map[int]int{}
	idx := 0
	for n := 0; n < maxAttempts; n++ {
		i, ok := s.nextTarget(targets, idx, true)
		if !ok {
			if lastErr == nil {
				lastErr = apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "every target of route %q has an open circuit", route.GetName())
			}
			break
		}
		bt := targets[i]
		if tried[i] > 0 { // a retry of the same target backs off
			wait := min(backoff<<(tried[i]-1), maxBackoff)
			if err := sleep(ctx, wait); err != nil {
				s.states.get(bt.key).release()
				return nil, attempts, err
			}
		}
		tried[i]++
		state := s.states.get(bt.key)
		call := &provider.Call{Request: r, Model: upstreamModel(bt.model), Credential: s.secretOf(ctx, bt.provider.pickCredential(bt.cred, s.cooling))}
		release, err := s.admitAttempt(ctx, call.Credential.Name, p.tokens)
		if err != nil {
			// The credential's own rate limit: like a 429 from the provider
			// for that key, but the provider never saw it and the target's
			// breaker is not touched.
			state.release()
			e := apierror.As(err)
			attempts = append(attempts, &mcpv1.Attempt{Provider: bt.provider.cfg.GetName(), Model: upstreamModel(bt.model),
				ErrorClass: e.Class, ErrorMessage: e.Message, Latency: durationpb.New(0)})
			lastErr = e
			s.coolDown(call.Credential.Name, e.RetryAfter)
			// Not an attempt on the provider: it does not use up the
			// route's attempts. Each refused key rests, and each target is
			// left once, so this ends.
			if bt.cred == "" && bt.provider.hasRestedCredential(call.Credential.Name, s.cooling) {
				tried[i] = 0
				idx = i
				n--
				continue
			}
			if next, ok := s.nextTarget(targets, i+1, false); ok && tried[next] == 0 {
				idx = next
				n--
				continue
			}
			return nil, attempts, e
		}
		start := s.now()
		committed, err := s.attempt(ctx, route, bt, call, stream, do)
		release()
		latency := s.now().Sub(start)
		a := &mcpv1.Attempt{Provider: bt.provider.cfg.GetName(), Model: upstreamModel(bt.model), Latency: durationpb.New(latency)}
		attempts = append(attempts, a)
		if err == nil {
			state.success(latency)
			return bt, attempts, nil
		}
		e := apierror.As(err)
		if e.Provider == "" {
			e.Provider = bt.provider.cfg.GetName()
		}
		a.ErrorClass, a.UpstreamStatus, a.ErrorMessage = e.Class, int32(e.UpstreamStatus), e.Message
		lastErr = e
		if ctx.Err() != nil {
			state.release()
			return nil, attempts, apierror.As(ctx.Err())
		}
		if e.Class == mcpv1.ErrorClass_ERROR_CLASS_CANCELLED {
			state.release()
			return nil, attempts, e
		}
		if targetFault(e.Class) {
			state.failure(s.now(), route.GetCircuitBreaker())
		} else {
			state.release()
		}
		if e.Class == mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || e.Class == mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION {
			s.coolDown(call.Credential.Name, e.RetryAfter)
		}
		if committed || !retryable(policy, e.Class) {
			return nil, attempts, e
		}
		// The key rests; another key of the provider's pool may serve the
		// same target at once, without backoff or waiting out retry-after.
		if (e.Class == mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || e.Class == mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION) &&
			bt.cred == "" && bt.provider.hasRestedCredential(call.Credential.Name, s.cooling) {
			tried[i] = 0
			idx = i
			continue
		}
		// Prefer a fallback target; with none left, honour retry-after.
		if next, ok := s.nextTarget(targets, i+1, false); ok && tried[next] == 0 {
			idx = next
			continue
		}
		if e.Class == mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED && e.RetryAfter > 0 {
			if e.RetryAfter > maxRetryAfter || n+1 >= maxAttempts {
				return nil, attempts, e // the caller sees 429 with retry-after
			}
			if err := sleep(ctx, e.RetryAfter); err != nil {
				return nil, attempts, err
			}
			tried[i] = 0 // the provider told us when; no extra backoff
			idx = i
			continue
		}
		idx = i + 1
	}
	return nil, attempts, lastErr
}

// admitAttempt checks an attempt on a credential against the credential's
// rate limits, when the quota hook enforces them.
func (s *Service) admitAttempt(ctx context.Context, credential string, tokens int64) (release func(), err error) {
	lim, ok := s.hooks.Quota.(CredentialLimiter)
	if !ok || credential == "" {
		return func() {}, nil
	}
	return lim.AdmitAttempt(ctx, credential, tokens)
}

// attempt runs one attempt with the route's per-attempt timeout. For
// streams the timeout bounds the time to the first event only.
func (s *Service) attempt(ctx context.Context, route *routerv1.Route, bt *boundTarget, call *provider.Call, stream bool, do attemptFunc) (bool, error) {
	timeout := route.GetAttemptTimeout().AsDuration()
	if pt := bt.provider.cfg.GetTimeout().AsDuration(); timeout <= 0 || (pt > 0 && pt < timeout) {
		timeout = pt
	}
	if timeout <= 0 {
		return do(ctx, bt, call, func() {})
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	var first, timedOut atomic.Bool
	timer := time.AfterFunc(timeout, func() {
		if !stream || !first.Load() {
			timedOut.Store(true)
			cancel()
		}
	})
	defer timer.Stop()
	committed, err := do(actx, bt, call, func() { first.Store(true) })
	if err != nil && timedOut.Load() && ctx.Err() == nil {
		e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, "provider %s did not answer within %s", bt.provider.cfg.GetName(), timeout)
		e.Cause = err
		return committed, e
	}
	return committed, err
}

// nextTarget returns the first target from idx on whose breaker admits a
// request; claim reserves a half-open breaker's trial for the attempt about
// to be made.
func (s *Service) nextTarget(ts []*boundTarget, idx int, claim bool) (int, bool) {
	now := s.now()
	for k := 0; k < len(ts); k++ {
		i := (idx + k) % len(ts)
		if s.states.get(ts[i].key).admit(now, claim) {
			return i, true
		}
	}
	return 0, false
}

// targetFault reports whether an error class says something about the
// target's health; a caller's bad request must not open its breaker.
func targetFault(c mcpv1.ErrorClass) bool {
	switch c {
	case mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED,
		mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED, mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED,
		mcpv1.ErrorClass_ERROR_CLASS_CANCELLED:
		return false
	}
	return true
}

func retryable(p *routerv1.RetryPolicy, c mcpv1.ErrorClass) bool {
	if on := p.GetRetryOn(); len(on) > 0 {
		for _, x := range on {
			if x == c {
				return true
			}
		}
		return false
	}
	switch c {
	case mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED,
		mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT,
		mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL:
		return true
	}
	return false
}

// secretOf fills in a credential the configuration names but does not hold
// from the CredentialSource hook (the key vault). Without one, or when the
// vault does not know it, the credential stays empty and the provider
// refuses it, which cools it down like any rejected key.
func (s *Service) secretOf(ctx context.Context, c provider.Credential) provider.Credential {
	if c.Name == "" || c.APIKey != "" || c.AccessKeyID != "" || s.hooks.Credentials == nil {
		return c
	}
	if resolved, ok := s.hooks.Credentials.Credential(ctx, c.Name); ok {
		return resolved
	}
	return c
}

func (s *Service) cooling(name string) bool {
	v, ok := s.cool.Load(name)
	return ok && s.now().Before(v.(time.Time))
}

func (s *Service) coolDown(name string, d time.Duration) {
	if name == "" {
		return
	}
	if d <= 0 {
		d = s.cfg.CredentialCooldown
	}
	s.cool.Store(name, s.now().Add(d))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return apierror.As(ctx.Err())
	case <-t.C:
		return nil
	}
}

func upstreamModel(m *routerv1.Model) string {
	if u := m.GetUpstreamModel(); u != "" {
		return u
	}
	return m.GetName()
}

// Do answers a validated request in one response.
func (s *Service) Do(ctx context.Context, r *mcpv1.Request, surface Surface) (*mcpv1.Response, error) {
	cs, err := s.begin(ctx, r, surface)
	if err != nil {
		s.end(cs, nil, nil, nil, 0, err)
		return nil, err
	}
	p, r, start := cs.plan, cs.info.Request, cs.info.Start
	cacheKey, useCache, storeCache := s.cachePolicy(p.route, r)
	if useCache {
		if res := s.cache.get(cacheKey, start); res != nil {
			res.Id = cs.info.ID
			res.Metadata.CacheHit = true
			res.Metadata.CreatedAt = timestamppb.New(start)
			res.Metadata.Latency = durationpb.New(s.now().Sub(start))
			s.end(cs, res, res.Usage, res.Metadata, res.FinishReason, nil)
			return res, nil
		}
	}
	var res *mcpv1.Response
	bt, attempts, err := s.run(ctx, p, r, false, func(ctx context.Context, bt *boundTarget, call *provider.Call, _ func()) (bool, error) {
		fitted, err := fitContext(p.route, bt.model, call.Request)
		if err != nil {
			return false, err
		}
		call.Request = fitted
		res, err = bt.provider.impl.Generate(ctx, call)
		return false, err
	})
	if err != nil {
		s.end(cs, nil, nil, &mcpv1.ResponseMetadata{Route: p.route.GetName(), Attempts: attempts}, 0, err)
		return nil, withAttempts(err, attempts)
	}
	latency := s.now().Sub(start)
	res.Id = cs.info.ID
	if res.Usage == nil {
		res.Usage = &mcpv1.Usage{}
	}
	s.bill(cs, bt, res.Usage)
	res.Metadata = s.metadata(cs, bt, attempts, latency, latency)
	if storeCache {
		s.cache.put(cacheKey, p.route.GetName(), res, s.cacheTTL(p.route, r), start)
	}
	s.end(cs, res, res.Usage, res.Metadata, res.FinishReason, nil)
	return res, nil
}

// DoStream answers a validated request as events: start, text and tool-call
// deltas, usage, finish. It returns an error only when nothing was emitted
// yet (the caller answers with an error status); once the first event is out,
// a failure is emitted as a final error event and DoStream returns nil — a
// stream never ends silently. An error from emit (the client went away) ends
// the call and is returned.
func (s *Service) DoStream(ctx context.Context, r *mcpv1.Request, surface Surface, emit func(*mcpv1.StreamEvent) error) error {
	cs, err := s.begin(ctx, r, surface)
	if err != nil {
		s.end(cs, nil, nil, nil, 0, err)
		return err
	}
	p, r, start, id := cs.plan, cs.info.Request, cs.info.Start, cs.info.ID
	if key, useCache, _ := s.cachePolicy(p.route, r); useCache {
		if res := s.cache.get(key, start); res != nil {
			err := replay(id, res, start, s.now(), emit)
			s.end(cs, res, res.Usage, res.Metadata, res.FinishReason, err)
			return err
		}
	}
	var (
		started   bool
		clientErr error
		ttft      time.Duration
		usage     *mcpv1.Usage
		finish    provider.Finish
		acc       *assembler
	)
	if s.hooks.Audit != nil || s.hooks.Quota != nil {
		acc = &assembler{}
	}
	sendStart := func(bt *boundTarget) error {
		started = true
		return emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Start{Start: &mcpv1.StreamStart{
			Id: id, Model: upstreamModel(bt.model), Provider: bt.provider.cfg.GetName(), Route: p.route.GetName(), CreatedAt: timestamppb.New(start),
		}}})
	}
	bt, attempts, err := s.run(ctx, p, r, true, func(ctx context.Context, bt *boundTarget, call *provider.Call, firstByte func()) (bool, error) {
		fitted, err := fitContext(p.route, bt.model, call.Request)
		if err != nil {
			return false, err
		}
		call.Request = fitted
		committed := false
		fin, err := bt.provider.impl.Stream(ctx, call, func(ev *mcpv1.StreamEvent) error {
			if !committed {
				committed = true
				firstByte()
				ttft = s.now().Sub(start)
				if err := sendStart(bt); err != nil {
					clientErr = err
					return err
				}
			}
			if u := ev.GetUsage(); u != nil {
				s.bill(cs, bt, u)
				usage = u
			}
			acc.add(ev)
			if err := emit(ev); err != nil {
				clientErr = err
				return err
			}
			return nil
		})
		finish = fin
		return committed, err
	})
	if err != nil || clientErr != nil {
		md := &mcpv1.ResponseMetadata{Route: p.route.GetName(), Attempts: attempts}
		if bt != nil || started {
			// Bill what was consumed: the provider's usage if it came, else
			// an estimate from what was streamed.
			if usage == nil {
				usage = acc.estimate(cs.info.EstimatedInputTokens)
				if bt != nil {
					s.bill(cs, bt, usage)
				}
			}
		}
		final := err
		if clientErr != nil {
			final = apierror.As(clientErr)
		}
		s.end(cs, acc.response(id, mcpv1.FinishReason_FINISH_REASON_ERROR), usage, md, mcpv1.FinishReason_FINISH_REASON_ERROR, final)
		if clientErr != nil {
			return clientErr
		}
		if !started {
			return withAttempts(err, attempts)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		detail := apierror.Detail(err)
		detail.CallId = id
		return emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Error{Error: detail}})
	}
	if !started {
		if err := sendStart(bt); err != nil {
			return err
		}
	}
	md := s.metadata(cs, bt, attempts, ttft, s.now().Sub(start))
	s.end(cs, acc.response(id, finish.Reason), usage, md, finish.Reason, nil)
	return emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Finish{Finish: &mcpv1.StreamFinish{
		FinishReason: finish.Reason, StopSequence: finish.StopSequence, Metadata: md,
	}}})
}

// withAttempts keeps the error as is; attempts are reported in metadata on
// success and in logs on failure.
func withAttempts(err error, _ []*mcpv1.Attempt) error { return err }

func (s *Service) metadata(cs *callState, bt *boundTarget, attempts []*mcpv1.Attempt, ttft, latency time.Duration) *mcpv1.ResponseMetadata {
	return &mcpv1.ResponseMetadata{
		Route:            cs.plan.route.GetName(),
		Provider:         bt.provider.cfg.GetName(),
		Model:            upstreamModel(bt.model),
		Attempts:         attempts,
		CreatedAt:        timestamppb.New(cs.info.Start),
		TimeToFirstToken: durationpb.New(ttft),
		Latency:          durationpb.New(latency),
		PromptName:       cs.promptName,
		PromptVersion:    cs.promptVersion,
	}
}

// bill makes bt the target that served the call (the model and provider the
// quota ledger charges; after a fallback it is not the first target) and
// sets u.CostMicros to what the call is billed: by the quota service's price
// for the model when the Admission has one (Pricer), else by the model's
// prices in the router catalog.
func (s *Service) bill(cs *callState, bt *boundTarget, u *mcpv1.Usage) {
	cs.info.Model, cs.info.Provider, cs.info.ProviderKind = bt.model.GetName(), bt.provider.cfg.GetName(), bt.provider.cfg.GetKind()
	price(bt.model.GetPrices(), u)
	if p, ok := s.hooks.Quota.(Pricer); ok && u != nil {
		u.CostMicros = p.Cost(bt.model.GetName(), u)
	}
}

// price sets u.CostMicros from the model's per-million-token prices.
func price(p *routerv1.Prices, u *mcpv1.Usage) {
	if p == nil || u == nil {
		return
	}
	uncached := max(u.GetInputTokens()-u.GetCachedInputTokens()-u.GetCacheWriteTokens(), 0)
	cachedPrice := p.GetCachedInputPerMtokMicros()
	writePrice := p.GetCacheWritePerMtokMicros()
	if writePrice == 0 {
		writePrice = p.GetInputPerMtokMicros()
	}
	reasoningPrice := p.GetReasoningPerMtokMicros()
	if reasoningPrice == 0 {
		reasoningPrice = p.GetOutputPerMtokMicros()
	}
	visible := max(u.GetOutputTokens()-u.GetReasoningTokens(), 0)
	total := uncached*p.GetInputPerMtokMicros() + u.GetCachedInputTokens()*cachedPrice + u.GetCacheWriteTokens()*writePrice +
		visible*p.GetOutputPerMtokMicros() + u.GetReasoningTokens()*reasoningPrice
	u.CostMicros = (total + 500_000) / 1_000_000
	if u.TotalTokens == 0 {
		u.TotalTokens = u.InputTokens + u.OutputTokens
	}
}

// newCallID returns a call id such as "call_0193a8f2c4e1…": the time in
// milliseconds (6 bytes) then 10 random bytes, in hex. Ids made later sort
// later, so the call log's and the ledger's id indexes grow at their end
// instead of touching a random page per call (with random ids, SQLite
// rewrote about one index page per record and batch).
func newCallID() string {
	var b [16]byte
	ms := time.Now().UnixMilli()
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return "call_" + hex.EncodeToString(b[:])
}

var errNoStore = errors.New("no store attached")
