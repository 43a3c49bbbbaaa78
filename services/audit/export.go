package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
)

// exportChunk is the most data one ExportCallsResponse carries, unless a
// single record is larger.
const exportChunk = 1 << 20

// exportPage is how many records an export reads per query.
const exportPage = 500

var exportJSON = protojson.MarshalOptions{UseProtoNames: true}

// csvHeader is the CSV export's columns.
var csvHeader = []string{
	"id", "sequence", "received_at", "surface", "operation", "streamed", "requested_model", "route", "provider", "model",
	"principal.key_id", "principal.user", "principal.team", "principal.project", "principal.end_user",
	"prompt_name", "prompt_version", "status", "error_class", "error_message", "http_status", "finish_reason",
	"usage.input_tokens", "usage.output_tokens", "usage.cached_input_tokens", "usage.reasoning_tokens", "usage.total_tokens", "usage.cost_micros",
	"cache_hit", "time_to_first_token", "latency", "redaction", "attempts", "request_body", "response_body", "hash",
}

// ExportCalls streams the matching calls, oldest first, as JSONL or CSV.
func (s *Service) ExportCalls(ctx context.Context, req *connect.Request[auditv1.ExportCallsRequest], stream *connect.ServerStream[auditv1.ExportCallsResponse]) error {
	m := req.Msg
	q := Query{
		Start: m.GetRange().GetStart().AsTime().UnixMicro(), End: m.GetRange().GetEnd().AsTime().UnixMicro(),
		Filter: m.GetFilter(), Ascending: true, Limit: exportPage, Bodies: m.GetIncludeBodies(),
	}
	var (
		buf   bytes.Buffer
		count int64
		line  bytes.Buffer
	)
	flush := func() error {
		if buf.Len() == 0 {
			return nil
		}
		err := stream.Send(&auditv1.ExportCallsResponse{Data: bytes.Clone(buf.Bytes()), RecordCount: count})
		buf.Reset()
		count = 0
		return err
	}
	csvw := csv.NewWriter(&line)
	if m.GetFormat() == auditv1.ExportFormat_EXPORT_FORMAT_CSV {
		_ = csvw.Write(csvHeader)
		csvw.Flush()
		buf.Write(line.Bytes())
		line.Reset()
	}
	for {
		recs, err := s.store.QueryCalls(ctx, q)
		if err != nil {
			return s.internal("export calls", err)
		}
		for _, rec := range recs {
			line.Reset()
			if m.GetFormat() == auditv1.ExportFormat_EXPORT_FORMAT_CSV {
				_ = csvw.Write(csvRow(rec))
				csvw.Flush()
				if err := csvw.Error(); err != nil {
					return s.internal("export calls", err)
				}
			} else {
				b, err := exportJSON.Marshal(rec)
				if err != nil {
					return s.internal("export calls", err)
				}
				line.Write(b)
				line.WriteByte('\n')
			}
			if buf.Len() > 0 && buf.Len()+line.Len() > exportChunk {
				if err := flush(); err != nil {
					return err
				}
			}
			buf.Write(line.Bytes())
			count++
		}
		if len(recs) < q.Limit {
			break
		}
		c := CursorOf(recs[len(recs)-1])
		q.After = &c
	}
	return flush()
}

func csvRow(r *auditv1.CallRecord) []string {
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	jsonOf := func(m proto.Message) string {
		if m == nil || !m.ProtoReflect().IsValid() {
			return ""
		}
		b, _ := exportJSON.Marshal(m)
		return string(b)
	}
	attempts := "["
	for i, a := range r.GetAttempts() {
		if i > 0 {
			attempts += ","
		}
		attempts += jsonOf(a)
	}
	attempts += "]"
	body := func(b *auditv1.Body) string {
		if b.GetJson() != "" {
			return b.GetJson()
		}
		if raw := b.GetRaw(); raw != nil {
			return string(raw)
		}
		return ""
	}
	dur := func(d interface{ AsDuration() time.Duration }) string { return d.AsDuration().String() }
	p, u := r.GetPrincipal(), r.GetUsage()
	return []string{
		r.GetId(), i64(r.GetSequence()), r.GetReceivedAt().AsTime().UTC().Format(time.RFC3339Nano),
		r.GetSurface().String(), r.GetOperation().String(), strconv.FormatBool(r.GetStreamed()),
		r.GetRequestedModel(), r.GetRoute(), r.GetProvider(), r.GetModel(),
		p.GetKeyId(), p.GetUser(), p.GetTeam(), p.GetProject(), p.GetEndUser(),
		r.GetPromptName(), i64(int64(r.GetPromptVersion())), r.GetStatus().String(), errorClassName(r.GetErrorClass()),
		r.GetErrorMessage(), i64(int64(r.GetHttpStatus())), r.GetFinishReason().String(),
		i64(u.GetInputTokens()), i64(u.GetOutputTokens()), i64(u.GetCachedInputTokens()), i64(u.GetReasoningTokens()), i64(u.GetTotalTokens()), i64(u.GetCostMicros()),
		strconv.FormatBool(r.GetCacheHit()), dur(r.GetTimeToFirstToken()), dur(r.GetLatency()), r.GetRedaction().String(),
		attempts, body(r.GetRequestBody()), body(r.GetResponseBody()), hex.EncodeToString(r.GetHash()),
	}
}

func errorClassName(c mcpv1.ErrorClass) string {
	if c == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
		return ""
	}
	return c.String()
}
