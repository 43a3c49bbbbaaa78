// Package calllog is the router's Recorder: it turns each finished call into
// an audit CallRecord (bodies redacted under the route's policy) and hands
// it to the audit service in batches, without ever blocking the response.
//
// Records go through a bounded queue to one sender. When the queue is full
// (the audit service is slow) or a batch cannot be delivered (it is down, or
// its database is), records are appended to a local spool directory and
// drained once it answers again. The audit service ignores records whose id
// it already has, so a batch re-sent after a lost reply is stored once.
// Memory stays bounded by the queue size; the spool is bounded by the disk.
package calllog

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/router"
)

// maxBatchBytes keeps a batch well under the server's request size limit.
const maxBatchBytes = 8 << 20

// Config configures the recorder.
type Config struct {
	// AuditAddr is the audit service's host:port; empty reaches it in this
	// process.
	AuditAddr string
	// SpoolDir holds records the audit service could not take yet; one
	// recorder per directory. Empty means calllog-spool under the data
	// directory (the app fills it in).
	SpoolDir string
	// QueueSize is how many records wait in memory for the sender.
	QueueSize int
	// BatchSize is the most records per RecordCalls (at most 1000).
	BatchSize int
	// FlushInterval is the longest a record waits for its batch to fill.
	FlushInterval time.Duration
	// RetryInterval is how often a spool is drained while it holds records.
	RetryInterval time.Duration
	// SendTimeout bounds one RecordCalls.
	SendTimeout time.Duration
	// MaxBodyBytes cuts each stored body to this size; 0 keeps it whole.
	MaxBodyBytes int
	// ReplicaID names this router replica in its records.
	ReplicaID string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		QueueSize: 10000, BatchSize: 500,
		FlushInterval: 200 * time.Millisecond, RetryInterval: time.Second, SendTimeout: 10 * time.Second,
		MaxBodyBytes: 64 << 10,
	}
}

// RegisterFlags registers the recorder's flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.AuditAddr, "calllog.audit-addr", c.AuditAddr, "host:port of the audit service the router sends its call log to; empty uses the one in this process")
	fs.StringVar(&c.SpoolDir, "calllog.spool-dir", c.SpoolDir, "directory where call records wait while the audit service is unreachable (default <data-dir>/calllog-spool)")
	fs.IntVar(&c.QueueSize, "calllog.queue-size", c.QueueSize, "call records queued in memory before they spill to the spool")
	fs.IntVar(&c.BatchSize, "calllog.batch-size", c.BatchSize, "call records per batch sent to the audit service (1-1000)")
	fs.DurationVar(&c.FlushInterval, "calllog.flush-interval", c.FlushInterval, "longest a call record waits for its batch to fill")
	fs.IntVar(&c.MaxBodyBytes, "calllog.max-body-bytes", c.MaxBodyBytes, "stored request and response bodies are cut to this size; 0 keeps them whole")
}

// Validate checks the settings, naming the bad one.
func (c Config) Validate() error {
	switch {
	case c.QueueSize < 1:
		return fmt.Errorf("invalid calllog.queue-size %d: must be at least 1", c.QueueSize)
	case c.BatchSize < 1 || c.BatchSize > 1000:
		return fmt.Errorf("invalid calllog.batch-size %d: must be 1 to 1000", c.BatchSize)
	case c.FlushInterval <= 0:
		return fmt.Errorf("invalid calllog.flush-interval %s: must be positive", c.FlushInterval)
	case c.RetryInterval <= 0:
		return fmt.Errorf("invalid calllog retry interval %s: must be positive", c.RetryInterval)
	case c.SendTimeout <= 0:
		return fmt.Errorf("invalid calllog send timeout %s: must be positive", c.SendTimeout)
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("invalid calllog.max-body-bytes %d: must not be negative", c.MaxBodyBytes)
	}
	return nil
}

// PolicyFunc returns a route's redaction policy; "" is a direct model call.
type PolicyFunc func(route string) routerv1.RedactionPolicy

// Counts are the recorder's totals since it started.
type Counts struct {
	// Recorded is every record handed to RecordCall.
	Recorded int64
	// Sent is the records the audit service acknowledged (new or not).
	Sent int64
	// Spooled is the records written to the spool.
	Spooled int64
	// Rejected is the records the audit service refused as invalid; they
	// are logged by id and dropped.
	Rejected int64
}

// Recorder is a router.Recorder that ships the call log to the audit
// service.
type Recorder struct {
	cfg    Config
	client auditv1connect.AuditServiceClient
	policy PolicyFunc
	logger *slog.Logger
	spool  *spool

	// mu guards stopped against the queue: RecordCall holds it shared while
	// it enqueues, and shutdown takes it exclusively before the final drain
	// of the queue, so no record is left behind in it.
	mu      sync.RWMutex
	stopped bool
	queue   chan *router.CallRecord
	syncs   chan chan error
	done    chan struct{}

	recorded, sent, spooled, rejected atomic.Int64
}

var _ router.Recorder = (*Recorder)(nil)

// New returns a recorder that sends to the audit service at target. Call
// Run to start sending.
func New(cfg Config, target dial.Target, policy PolicyFunc, logger *slog.Logger) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SpoolDir == "" {
		return nil, errors.New("invalid calllog.spool-dir: must be set")
	}
	sp, err := openSpool(cfg.SpoolDir)
	if err != nil {
		return nil, err
	}
	if policy == nil {
		policy = func(string) routerv1.RedactionPolicy { return routerv1.RedactionPolicy_REDACTION_POLICY_FULL }
	}
	return &Recorder{
		cfg:    cfg,
		client: auditv1connect.NewAuditServiceClient(target.Client, target.BaseURL),
		policy: policy, logger: logger, spool: sp,
		queue: make(chan *router.CallRecord, cfg.QueueSize),
		syncs: make(chan chan error),
		done:  make(chan struct{}),
	}, nil
}

// RecordCall queues rec for the audit service. It never waits for the
// network: when the queue is full, or the recorder has stopped, the record
// is written to the spool instead.
func (r *Recorder) RecordCall(rec *router.CallRecord) {
	r.recorded.Add(1)
	r.mu.RLock()
	stopped := r.stopped
	if !stopped {
		select {
		case r.queue <- rec:
			r.mu.RUnlock()
			return
		default:
		}
	}
	r.mu.RUnlock()
	// Overflow: write without waiting for the disk; the sender syncs the
	// spool every flush interval (the same exposure to a crash as the
	// queue has). Once the sender has stopped, nothing would sync it.
	r.toSpool([]*auditv1.CallRecord{r.convert(rec)}, stopped)
}

func (r *Recorder) convert(rec *router.CallRecord) *auditv1.CallRecord {
	return convert(rec, r.policy(rec.Route), r.cfg.MaxBodyBytes, r.cfg.ReplicaID)
}

func (r *Recorder) toSpool(recs []*auditv1.CallRecord, durable bool) {
	if err := r.spool.append(recs, durable); err != nil {
		// The disk is the last resort; there is nowhere left to keep them.
		r.logger.Error("call log: records lost: cannot write the spool", "records", len(recs), "err", err)
		return
	}
	r.spooled.Add(int64(len(recs)))
}

// Counts returns the totals so far.
func (r *Recorder) Counts() Counts {
	return Counts{Recorded: r.recorded.Load(), Sent: r.sent.Load(), Spooled: r.spooled.Load(), Rejected: r.rejected.Load()}
}

// Sync sends everything queued and spooled now, and reports whether the
// audit service took it all.
func (r *Recorder) Sync(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case r.syncs <- reply:
	case <-r.done:
		return errors.New("call log recorder stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run sends batches until ctx ends, then stops taking records into the
// queue, delivers what it holds (or spools it) and returns. Records handed
// over after that go straight to the spool, for the next start to send.
func (r *Recorder) Run(ctx context.Context) {
	defer close(r.done)
	flush := time.NewTicker(r.cfg.FlushInterval)
	defer flush.Stop()
	retry := time.NewTicker(r.cfg.RetryInterval)
	defer retry.Stop()
	var batch []*auditv1.CallRecord
	size := 0
	ship := func() {
		if len(batch) > 0 {
			r.deliver(ctx, batch)
			batch, size = nil, 0
		}
	}
	add := func(rec *router.CallRecord) {
		c := r.convert(rec)
		batch = append(batch, c)
		size += proto.Size(c)
		if len(batch) >= r.cfg.BatchSize || size >= maxBatchBytes {
			ship()
		}
	}
	for {
		select {
		case rec := <-r.queue:
			add(rec)
		case <-flush.C:
			ship()
			if err := r.spool.sync(); err != nil {
				r.logger.Error("call log: sync spool", "err", err)
			}
		case <-retry.C:
			if r.spool.dirty.Load() {
				if err := r.spool.drain(r.cfg.BatchSize, func(recs []*auditv1.CallRecord) error { return r.send(ctx, recs) }); err != nil {
					r.logger.Debug("call log: spool not drained yet", "err", err)
				}
			}
		case reply := <-r.syncs:
			for len(r.queue) > 0 {
				add(<-r.queue)
			}
			ship()
			reply <- r.spool.drain(r.cfg.BatchSize, func(recs []*auditv1.CallRecord) error { return r.send(ctx, recs) })
		case <-ctx.Done():
			r.mu.Lock()
			r.stopped = true
			r.mu.Unlock()
			for len(r.queue) > 0 {
				batch = append(batch, r.convert(<-r.queue))
			}
			// The services may be shutting down too: one short try, then
			// the spool.
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			if len(batch) > 0 {
				if err := r.send(final, batch); err != nil {
					r.toSpool(batch, true)
				}
			}
			cancel()
			if err := r.spool.close(); err != nil {
				r.logger.Error("call log: close spool", "err", err)
			}
			return
		}
	}
}

// Done is closed when Run has returned.
func (r *Recorder) Done() <-chan struct{} { return r.done }

// deliver sends a batch, spooling it on failure.
func (r *Recorder) deliver(ctx context.Context, batch []*auditv1.CallRecord) {
	// While older records wait in the spool, new ones join them there, so
	// that an outage does not cost a timeout per batch.
	if r.spool.dirty.Load() {
		r.toSpool(batch, true)
		return
	}
	if err := r.send(ctx, batch); err != nil {
		r.logger.Warn("call log: audit service unavailable; spooling", "records", len(batch), "err", err)
		r.toSpool(batch, true)
	}
}

// send delivers recs or returns an error; records the audit service
// rejects as invalid are logged and dropped, so that one bad record never
// blocks the log.
func (r *Recorder) send(ctx context.Context, recs []*auditv1.CallRecord) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.SendTimeout)
	defer cancel()
	_, err := r.client.RecordCalls(ctx, connect.NewRequest(&auditv1.RecordCallsRequest{Records: recs}))
	if err == nil {
		r.sent.Add(int64(len(recs)))
		return nil
	}
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		return err
	}
	for _, rec := range recs {
		_, err := r.client.RecordCalls(ctx, connect.NewRequest(&auditv1.RecordCallsRequest{Records: []*auditv1.CallRecord{rec}}))
		switch {
		case err == nil:
			r.sent.Add(1)
		case connect.CodeOf(err) == connect.CodeInvalidArgument:
			r.rejected.Add(1)
			r.logger.Error("call log: audit service rejected a record; dropped", "call_id", rec.GetId(), "err", err)
		default:
			return err
		}
	}
	return nil
}

// RoutePolicy reads each route's redaction policy from the router's
// catalog (in memory; no RPC). Direct model calls keep bodies in full.
func RoutePolicy(svc *router.Service) PolicyFunc {
	return func(route string) routerv1.RedactionPolicy {
		if route == "" {
			return routerv1.RedactionPolicy_REDACTION_POLICY_FULL
		}
		res, err := svc.GetRoute(context.Background(), connect.NewRequest(&routerv1.GetRouteRequest{Name: route}))
		if err != nil {
			// The route was deleted after the call: keep the least.
			return routerv1.RedactionPolicy_REDACTION_POLICY_METADATA_ONLY
		}
		return res.Msg.GetRoute().GetRedaction()
	}
}
