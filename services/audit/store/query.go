package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/services/audit"
)

// where builds a WHERE clause with $n placeholders, which both engines bind
// positionally.
type where struct {
	conds []string
	args  []any
}

// arg adds v and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(format string, vs ...any) {
	ph := make([]any, len(vs))
	for i, v := range vs {
		ph[i] = w.arg(v)
	}
	w.conds = append(w.conds, fmt.Sprintf(format, ph...))
}

// in adds "col IN (...)" when vs is not empty.
func in[T any](w *where, col string, vs []T) {
	if len(vs) == 0 {
		return
	}
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = w.arg(v)
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ", ")+")")
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// callWhere is the condition for q, without its cursor.
func callWhere(q audit.Query) *where {
	w := &where{}
	if q.Start != 0 {
		w.add("received_at >= %s", q.Start)
	}
	if q.End != 0 {
		w.add("received_at < %s", q.End)
	}
	f := q.Filter
	in(w, "key_id", f.GetKeyIds())
	in(w, "team", f.GetTeams())
	in(w, "project", f.GetProjects())
	in(w, "model", f.GetModels())
	in(w, "route", f.GetRoutes())
	in(w, "status", enumInts(f.GetStatuses()))
	in(w, "error_class", enumInts(f.GetErrorClasses()))
	in(w, "surface", enumInts(f.GetSurfaces()))
	if f.GetPromptName() != "" {
		w.add("prompt_name = %s", f.GetPromptName())
	}
	if f.GetRunId() != "" {
		w.add("run_id = %s", f.GetRunId())
	}
	if f != nil && f.CacheHit != nil {
		w.add("cache_hit = %s", f.GetCacheHit())
	}
	if f.GetText() != "" {
		w.add(`search LIKE %s ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToLower(f.GetText()))+"%")
	}
	return w
}

func enumInts[E ~int32](vs []E) []int32 {
	out := make([]int32, len(vs))
	for i, v := range vs {
		out[i] = int32(v)
	}
	return out
}

// QueryCalls returns up to q.Limit matching records, newest first unless
// q.Ascending.
func (s *Store) QueryCalls(ctx context.Context, q audit.Query) ([]*auditv1.CallRecord, error) {
	w := callWhere(q)
	order := "DESC"
	cmp := "<"
	if q.Ascending {
		order, cmp = "ASC", ">"
	}
	if q.After != nil {
		w.add("(received_at, seq) "+cmp+" (%s, %s)", q.After.Time, q.After.Seq)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := "SELECT record, prev_hash, hash FROM audit_calls" + w.String() +
		" ORDER BY received_at " + order + ", seq " + order + " LIMIT " + w.arg(limit)
	rows, err := s.db.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("query calls: %w", err)
	}
	defer rows.Close()
	out := []*auditv1.CallRecord{}
	for rows.Next() {
		var enc, prev, hash []byte
		if err := rows.Scan(&enc, &prev, &hash); err != nil {
			return nil, fmt.Errorf("read call: %w", err)
		}
		rec, err := decodeCall(enc, prev, hash, q.Bodies)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query calls: %w", err)
	}
	return out, nil
}

// ScanStats calls fn with the columns of every matching call.
func (s *Store) ScanStats(ctx context.Context, q audit.Query, fn func(audit.Columns) error) error {
	w := callWhere(q)
	query := "SELECT received_at, key_id, team, project, model, route, status, error_class, cache_hit," +
		" input_tokens, output_tokens, cost_micros, latency_us, ttft_us FROM audit_calls" + w.String()
	rows, err := s.db.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("scan stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c audit.Columns
		if err := rows.Scan(&c.Time, &c.KeyID, &c.Team, &c.Project, &c.Model, &c.Route, &c.Status, &c.ErrorClass,
			&c.CacheHit, &c.InputTokens, &c.OutputTokens, &c.CostMicros, &c.LatencyMicros, &c.TTFTMicros); err != nil {
			return fmt.Errorf("read stats row: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan stats: %w", err)
	}
	return nil
}

// QueryAdminActions returns up to q.Limit matching actions, newest first.
func (s *Store) QueryAdminActions(ctx context.Context, q audit.ActionQuery) ([]*auditv1.AdminAction, error) {
	w := &where{}
	if q.Start != 0 {
		w.add("at >= %s", q.Start)
	}
	if q.End != 0 {
		w.add("at < %s", q.End)
	}
	for _, c := range [][2]string{{"actor_id", q.ActorID}, {"action", q.Action}, {"resource_type", q.ResourceType}, {"resource_id", q.ResourceID}} {
		if c[1] != "" {
			w.add(c[0]+" = %s", c[1])
		}
	}
	if q.After != nil {
		w.add("(at, seq) < (%s, %s)", q.After.Time, q.After.Seq)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := "SELECT record, prev_hash, hash FROM audit_admin_actions" + w.String() +
		" ORDER BY at DESC, seq DESC LIMIT " + w.arg(limit)
	rows, err := s.db.QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("query admin actions: %w", err)
	}
	defer rows.Close()
	out := []*auditv1.AdminAction{}
	for rows.Next() {
		var enc, prev, hash []byte
		if err := rows.Scan(&enc, &prev, &hash); err != nil {
			return nil, fmt.Errorf("read admin action: %w", err)
		}
		a := &auditv1.AdminAction{}
		if err := proto.Unmarshal(enc, a); err != nil {
			return nil, fmt.Errorf("decode admin action: %w", err)
		}
		a.PrevHash, a.Hash = prev, hash
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query admin actions: %w", err)
	}
	return out, nil
}
