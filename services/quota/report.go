package quota

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/quota/store"
)

// GetUsageReport sums the ledger over a range, grouped by the requested
// dimensions. The store sums per hour and attribution; this regroups the
// hours (so days follow the report's time zone for whole-hour offsets).
func (s *Service) GetUsageReport(ctx context.Context, req *connect.Request[quotav1.GetUsageReportRequest]) (*connect.Response[quotav1.GetUsageReportResponse], error) {
	m := req.Msg
	loc := time.UTC
	if tz := m.GetTimeZone(); tz != "" && tz != "UTC" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, apierror.Invalid("time_zone", "unknown time zone %q", tz)
		}
		loc = l
	}
	offset := 0
	if t := m.GetPageToken(); t != "" {
		s, err := decodeToken(t)
		if err == nil {
			offset, err = strconv.Atoi(s)
		}
		if err != nil || offset < 0 {
			return nil, apierror.Invalid("page_token", "invalid page token")
		}
	}
	lines, err := s.store.Usage(ctx, m.GetRange().GetStart().AsTime(), m.GetRange().GetEnd().AsTime())
	if err != nil {
		return nil, storeError(err, "usage")
	}
	keep := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	groups := map[string]*quotav1.UsageRow{}
	total := &quotav1.UsageRow{Usage: &mcpv1.Usage{}}
	for _, l := range lines {
		if !keep(m.GetVirtualKeyIds(), l.VirtualKeyID) || !keep(m.GetTeams(), l.Team) || !keep(m.GetProjects(), l.Project) || !keep(m.GetModels(), l.Model) {
			continue
		}
		row := &quotav1.UsageRow{}
		key := ""
		for _, d := range m.GetGroupBy() {
			switch d {
			case quotav1.UsageDimension_USAGE_DIMENSION_VIRTUAL_KEY:
				row.VirtualKeyId = l.VirtualKeyID
				key += "k" + l.VirtualKeyID
			case quotav1.UsageDimension_USAGE_DIMENSION_TEAM:
				row.Team = l.Team
				key += "t" + l.Team
			case quotav1.UsageDimension_USAGE_DIMENSION_PROJECT:
				row.Project = l.Project
				key += "p" + l.Project
			case quotav1.UsageDimension_USAGE_DIMENSION_MODEL:
				row.Model = l.Model
				key += "m" + l.Model
			case quotav1.UsageDimension_USAGE_DIMENSION_ROUTE:
				row.Route = l.Route
				key += "r" + l.Route
			case quotav1.UsageDimension_USAGE_DIMENSION_DAY:
				y, mo, d := time.UnixMicro(l.Hour).In(loc).Date()
				day := time.Date(y, mo, d, 0, 0, 0, 0, loc)
				row.Day = timestamppb.New(day)
				key += "d" + strconv.FormatInt(day.Unix(), 10)
			}
			key += "\x00"
		}
		g, ok := groups[key]
		if !ok {
			row.Usage = &mcpv1.Usage{}
			groups[key], g = row, row
		}
		add(g, l)
		add(total, l)
	}
	rows := make([]*quotav1.UsageRow, 0, len(groups))
	for _, r := range groups {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b *quotav1.UsageRow) int {
		for _, d := range m.GetGroupBy() {
			var c int
			switch d {
			case quotav1.UsageDimension_USAGE_DIMENSION_VIRTUAL_KEY:
				c = cmp.Compare(a.GetVirtualKeyId(), b.GetVirtualKeyId())
			case quotav1.UsageDimension_USAGE_DIMENSION_TEAM:
				c = cmp.Compare(a.GetTeam(), b.GetTeam())
			case quotav1.UsageDimension_USAGE_DIMENSION_PROJECT:
				c = cmp.Compare(a.GetProject(), b.GetProject())
			case quotav1.UsageDimension_USAGE_DIMENSION_MODEL:
				c = cmp.Compare(a.GetModel(), b.GetModel())
			case quotav1.UsageDimension_USAGE_DIMENSION_ROUTE:
				c = cmp.Compare(a.GetRoute(), b.GetRoute())
			case quotav1.UsageDimension_USAGE_DIMENSION_DAY:
				c = a.GetDay().AsTime().Compare(b.GetDay().AsTime())
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	n := pageSize(m.GetPageSize())
	out := &quotav1.GetUsageReportResponse{Total: total}
	if offset < len(rows) {
		end := min(offset+n, len(rows))
		out.Rows = rows[offset:end]
		if end < len(rows) {
			out.NextPageToken = encodeToken(strconv.Itoa(end))
		}
	}
	return connect.NewResponse(out), nil
}

func add(r *quotav1.UsageRow, l store.UsageLine) {
	r.Requests += l.Requests
	u := r.Usage
	u.InputTokens += l.InputTokens
	u.OutputTokens += l.OutputTokens
	u.CachedInputTokens += l.CachedInputTokens
	u.CacheWriteTokens += l.CacheWriteTokens
	u.ReasoningTokens += l.ReasoningTokens
	u.TotalTokens += l.TotalTokens
	u.CostMicros += l.CostMicros
}
