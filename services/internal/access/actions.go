package access

import (
	"cmp"
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// ActionLog sends the admin actions the Guard sees to the audit service's
// admin-action log as they happen. When the audit service cannot take them
// they wait (at most maxPending, oldest dropped first, with an error
// logged) and are sent again in batches; ids make the resend idempotent.
type ActionLog struct {
	audit  auditv1connect.AuditServiceClient
	logger *slog.Logger
	queue  chan *auditv1.AdminAction
	done   chan struct{}
}

const (
	actionQueue   = 1024
	maxPending    = 10000
	actionBatch   = 500
	actionFlush   = 200 * time.Millisecond
	actionTimeout = 5 * time.Second
)

// NewActionLog returns a log sending to audit; Run sends.
func NewActionLog(audit auditv1connect.AuditServiceClient, logger *slog.Logger) *ActionLog {
	return &ActionLog{audit: audit, logger: logger, queue: make(chan *auditv1.AdminAction, actionQueue), done: make(chan struct{})}
}

// Record logs a call of procedure from peer with request req that answered
// res or ended with err, by the principal in ctx. The resource is named as
// the answer names it when it can (a created key's id), else as the
// request does. Calls by Manifold's own services are not admin actions and
// are left out.
func (l *ActionLog) Record(ctx context.Context, procedure, peer string, req, res any, err error) {
	p := PrincipalFrom(ctx)
	if p == nil || p.GetKind() == keyvaultv1.PrincipalKind_PRINCIPAL_KIND_SERVICE {
		return
	}
	a := &auditv1.AdminAction{
		Id:           "aa_" + strings.ToLower(rand.Text()),
		Time:         timestamppb.Now(),
		Actor:        actor(p, peer),
		Action:       procedure,
		ResourceType: resourceType(procedure),
	}
	if m, ok := req.(proto.Message); ok {
		a.ResourceId, a.Comment = describe(m.ProtoReflect())
	}
	if m, ok := res.(proto.Message); ok && err == nil && m != nil && m.ProtoReflect().IsValid() {
		if id, _ := describe(m.ProtoReflect()); id != "" {
			a.ResourceId = id
		}
	}
	if err != nil {
		a.ErrorClass = apierror.As(err).Class
	}
	// Sent before the admin's call returns, so that a change is in the log
	// by the time its author sees it done; queued for retry when the audit
	// service cannot take it now.
	if len(l.send(context.WithoutCancel(ctx), []*auditv1.AdminAction{a})) == 0 {
		return
	}
	select {
	case l.queue <- a:
	default:
		l.logger.Error("admin action log queue full: action not recorded", "action", procedure, "resource", a.ResourceId)
	}
}

// Run sends queued actions until ctx ends, then makes a last attempt to
// send what is left.
func (l *ActionLog) Run(ctx context.Context) {
	defer close(l.done)
	var (
		pending []*auditv1.AdminAction
		backoff time.Duration
		retryAt time.Time
	)
	tick := time.NewTicker(actionFlush)
	defer tick.Stop()
	for {
		select {
		case a := <-l.queue:
			pending = append(pending, a)
			if len(pending) < actionBatch {
				continue
			}
		case <-tick.C:
		case <-ctx.Done():
			for drained := false; !drained; {
				select {
				case a := <-l.queue:
					pending = append(pending, a)
				default:
					drained = true
				}
			}
			pending = l.send(context.WithoutCancel(ctx), pending)
			if len(pending) > 0 {
				l.logger.Error("admin actions not recorded at shutdown: the audit service did not take them", "count", len(pending))
			}
			return
		}
		if len(pending) == 0 || time.Now().Before(retryAt) {
			continue
		}
		before := len(pending)
		pending = l.send(ctx, pending)
		switch {
		case len(pending) == 0:
			backoff = 0
		case len(pending) == before:
			// The audit service is away: wait longer before each retry.
			backoff = min(max(2*backoff, actionFlush), maxActionBackoff)
			retryAt = time.Now().Add(backoff)
		}
		if n := len(pending) - maxPending; n > 0 {
			l.logger.Error("admin action log backlog full: oldest actions dropped", "count", n)
			pending = pending[n:]
		}
	}
}

// maxActionBackoff bounds the wait between retries while the audit service
// is away.
const maxActionBackoff = 30 * time.Second

// Done is closed when Run has returned.
func (l *ActionLog) Done() <-chan struct{} { return l.done }

// send sends pending in batches and returns what could not be sent.
func (l *ActionLog) send(ctx context.Context, pending []*auditv1.AdminAction) []*auditv1.AdminAction {
	for len(pending) > 0 {
		n := min(len(pending), actionBatch)
		cctx, cancel := context.WithTimeout(ctx, actionTimeout)
		_, err := l.audit.RecordAdminActions(cctx, connect.NewRequest(&auditv1.RecordAdminActionsRequest{Actions: pending[:n]}))
		cancel()
		if err != nil {
			l.logger.Warn("admin actions not sent to the audit service; will retry", "count", len(pending), "error", err)
			return pending
		}
		pending = pending[n:]
	}
	return nil
}

// actor describes a principal for the log.
func actor(p *keyvaultv1.Principal, peer string) *auditv1.Actor {
	a := &auditv1.Actor{
		Kind:          auditv1.ActorKind_ACTOR_KIND_ADMIN_KEY,
		Id:            p.GetKeyId(),
		User:          p.GetOwner().GetUser(),
		Role:          RoleName(p.GetRole()),
		RemoteAddress: peer,
	}
	if p.GetKind() == keyvaultv1.PrincipalKind_PRINCIPAL_KIND_VIRTUAL_KEY {
		a.Kind = auditv1.ActorKind_ACTOR_KIND_VIRTUAL_KEY
	}
	if a.Id == "" {
		a.Id = cmp.Or(p.GetName(), "unknown")
	}
	if a.Role == "unspecified" {
		a.Role = ""
	}
	return a
}

// verbs are the leading words of admin RPC names; what follows names the
// resource, e.g. RevokeVirtualKey → virtual_key.
var verbs = []string{"Create", "Update", "Delete", "Put", "Set", "Revoke", "Rotate", "Publish", "Unpublish",
	"Approve", "Reject", "Cancel", "Start", "Purge", "Acquire", "Renew", "Return", "Record", "Report", "Release", "Settle", "Reserve"}

// resourceType is the snake_case resource of a procedure
// ("/pkg.Service/PutRoute" → "route").
func resourceType(procedure string) string {
	method := procedure[strings.LastIndexByte(procedure, '/')+1:]
	for _, v := range verbs {
		if rest, ok := strings.CutPrefix(method, v); ok && rest != "" {
			method = rest
			break
		}
	}
	var b strings.Builder
	for i, r := range method {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		if b.Len() < 64 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// idFields name the resource in a request, in order of preference.
var idFields = []protoreflect.Name{"id", "key_id", "credential_id", "run_id", "slug", "name", "prompt_name", "chain_name", "prompt", "route", "model", "provider"}

// describe finds a request's resource id and comment: a string field of
// idFields, or the name, id, slug or model of a message field (PutRoute's
// route, PutPrice's price); the comment is a reason or comment field.
func describe(m protoreflect.Message) (id, comment string) {
	fields := m.Descriptor().Fields()
	for _, name := range idFields {
		f := fields.ByName(name)
		if f == nil || f.IsList() || f.IsMap() || !m.Has(f) {
			continue
		}
		switch f.Kind() {
		case protoreflect.StringKind:
			id = m.Get(f).String()
		case protoreflect.MessageKind:
			id = nameOf(m.Get(f).Message())
		}
		if id != "" {
			break
		}
	}
	// Otherwise the resource the request carries whole (PutBudget's budget).
	for i := 0; id == "" && i < fields.Len(); i++ {
		if f := fields.Get(i); f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && m.Has(f) {
			id = nameOf(m.Get(f).Message())
		}
	}
	for _, name := range []protoreflect.Name{"reason", "comment"} {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
			comment = m.Get(f).String()
		}
	}
	if len(id) > 256 {
		id = id[:256]
	}
	if len(comment) > 4096 {
		comment = comment[:4096]
	}
	return id, comment
}

// nameOf is a resource message's id, name, slug or model, the first set.
func nameOf(m protoreflect.Message) string {
	for _, n := range []protoreflect.Name{"id", "name", "slug", "model"} {
		if f := m.Descriptor().Fields().ByName(n); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
			if v := m.Get(f).String(); v != "" {
				return v
			}
		}
	}
	return ""
}
