package router

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
)

// responseCache is the exact-match response cache: an LRU bounded by entries
// and bytes, with a TTL per entry.
type responseCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	lru        *list.List // front = most recent
	m          map[[32]byte]*list.Element
}

type cacheEntry struct {
	key     [32]byte
	route   string
	res     *mcpv1.Response
	size    int64
	expires time.Time
}

func newResponseCache(maxEntries int, maxBytes int64) *responseCache {
	return &responseCache{maxEntries: maxEntries, maxBytes: maxBytes, lru: list.New(), m: map[[32]byte]*list.Element{}}
}

// cachePolicy decides, from the route and the request's options, whether to
// read and whether to store, and computes the key: a hash of the request
// without its gateway options.
func (s *Service) cachePolicy(route *routerv1.Route, r *mcpv1.Request) (key [32]byte, read, write bool) {
	switch r.GetOptions().GetCache() {
	case mcpv1.CachePolicy_CACHE_POLICY_USE:
		read, write = true, true
	case mcpv1.CachePolicy_CACHE_POLICY_REFRESH:
		write = true
	case mcpv1.CachePolicy_CACHE_POLICY_BYPASS:
	default:
		read = route.GetCache().GetEnabled()
		write = read
	}
	if !read && !write || s.cfg.CacheMaxEntries == 0 {
		return key, false, false
	}
	keyed := proto.Clone(r).(*mcpv1.Request)
	keyed.Options = nil
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(keyed)
	if err != nil {
		return key, false, false
	}
	h := sha256.New()
	h.Write([]byte(route.GetName()))
	h.Write([]byte{0})
	h.Write(b)
	copy(key[:], h.Sum(nil))
	return key, read, write
}

func (s *Service) cacheTTL(route *routerv1.Route, r *mcpv1.Request) time.Duration {
	if d := r.GetOptions().GetCacheTtl().AsDuration(); d > 0 {
		return d
	}
	if d := route.GetCache().GetTtl().AsDuration(); d > 0 {
		return d
	}
	return 5 * time.Minute
}

// get returns a copy of a live entry, or nil.
func (c *responseCache) get(key [32]byte, now time.Time) *mcpv1.Response {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if now.After(e.expires) {
		c.remove(el)
		return nil
	}
	c.lru.MoveToFront(el)
	return proto.Clone(e.res).(*mcpv1.Response)
}

// put stores a copy of res.
func (c *responseCache) put(key [32]byte, route string, res *mcpv1.Response, ttl time.Duration, now time.Time) {
	stored := proto.Clone(res).(*mcpv1.Response)
	size := int64(proto.Size(stored)) + 64
	if c.maxBytes > 0 && size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.remove(el)
	}
	c.m[key] = c.lru.PushFront(&cacheEntry{key: key, route: route, res: stored, size: size, expires: now.Add(ttl)})
	c.bytes += size
	for c.lru.Len() > c.maxEntries || (c.maxBytes > 0 && c.bytes > c.maxBytes) {
		c.remove(c.lru.Back())
	}
}

func (c *responseCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.lru.Remove(el)
	delete(c.m, e.key)
	c.bytes -= e.size
}

// purge removes every entry, or a route's, and says how many.
func (c *responseCache) purge(route string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if route == "" || el.Value.(*cacheEntry).route == route {
			c.remove(el)
			n++
		}
		el = next
	}
	return n
}

// replay streams a cached response as events.
func replay(id string, res *mcpv1.Response, start, now time.Time, emit func(*mcpv1.StreamEvent) error) error {
	md := res.GetMetadata()
	md.CacheHit = true
	md.CreatedAt = timestamppb.New(start)
	md.Latency = durationpb.New(now.Sub(start))
	md.TimeToFirstToken = md.Latency
	events := []*mcpv1.StreamEvent{{Event: &mcpv1.StreamEvent_Start{Start: &mcpv1.StreamStart{
		Id: id, Model: md.GetModel(), Provider: md.GetProvider(), Route: md.GetRoute(), CreatedAt: md.CreatedAt,
	}}}}
	for _, p := range res.GetMessage().GetContent() {
		if t := p.GetText(); t != "" {
			events = append(events, &mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: t}}})
		}
	}
	for i, tc := range res.GetMessage().GetToolCalls() {
		events = append(events, &mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
			Index: int32(i), Id: tc.GetId(), Name: tc.GetName(), ArgumentsDelta: tc.GetArguments(),
		}}})
	}
	events = append(events,
		&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: res.GetUsage()}},
		&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Finish{Finish: &mcpv1.StreamFinish{
			FinishReason: res.GetFinishReason(), StopSequence: res.GetStopSequence(), Metadata: md,
		}}})
	for _, ev := range events {
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}
