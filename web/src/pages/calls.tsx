// The call log (AuditService.QueryCalls) and one call in full (GetCall).
import { useEffect, useState } from "preact/hooks";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CallStatus, Surface, type Body, type CallRecord } from "@gen/manifold/audit/v1/audit_pb.js";
import { CallView } from "@gen/manifold/audit/v1/audit_service_pb.js";
import { ErrorClass, FinishReason } from "@gen/manifold/mcp/v1/mcp_pb.js";
import { audit, enumName, fmtCost, fmtDuration, fmtTime } from "../api";
import { link } from "../nav";
import { Badge, ErrorBox, Page, Refresh, Section, Status, useAction, useLoad } from "../ui";

const windows = [
  { label: "Last hour", ms: 3_600_000 },
  { label: "Last 24 hours", ms: 86_400_000 },
  { label: "Last 7 days", ms: 7 * 86_400_000 },
  { label: "Last 30 days", ms: 30 * 86_400_000 },
];

function statusBadge(s: CallStatus) {
  return <Badge text={enumName(CallStatus, s, "CALL_STATUS_")} tone={s === CallStatus.SUCCEEDED ? "ok" : s === CallStatus.FAILED ? "bad" : "warn"} />;
}

export function Calls() {
  const [win, setWin] = useState(1);
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState(CallStatus.UNSPECIFIED);
  const calls = useLoad(async () => {
    const now = Date.now();
    const req = {
      range: { start: timestampFromDate(new Date(now - windows[win]!.ms)), end: timestampFromDate(new Date(now + 60_000)) },
      filter: { text: query, statuses: status === CallStatus.UNSPECIFIED ? [] : [status] },
      view: CallView.SUMMARY,
      pageSize: 200,
    };
    const res = await audit.queryCalls(req);
    return { req, records: res.records, next: res.nextPageToken };
  }, [win, query, status]);
  // Further pages of the same query, appended by "Load more".
  const [more, setMore] = useState<{ records: CallRecord[]; next: string } | null>(null);
  useEffect(() => setMore(null), [calls.data]);
  const [mbusy, merror, mrun] = useAction();
  const next = more?.next ?? calls.data?.next ?? "";
  const loadMore = () =>
    mrun(async () => {
      const res = await audit.queryCalls({ ...calls.data!.req, pageToken: next });
      setMore({ records: [...(more?.records ?? []), ...res.records], next: res.nextPageToken });
    });
  return (
    <Page
      title="Call log"
      actions={
        <>
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              setQuery(text.trim());
            }}
          >
            <input type="search" placeholder="Search request and response text" value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </form>
          <select value={status} onChange={(e) => setStatus(Number(e.currentTarget.value))} data-testid="status-filter">
            <option value={CallStatus.UNSPECIFIED}>Any status</option>
            {[CallStatus.SUCCEEDED, CallStatus.FAILED, CallStatus.CANCELLED].map((s) => (
              <option value={s}>{enumName(CallStatus, s, "CALL_STATUS_")}</option>
            ))}
          </select>
          <select value={win} onChange={(e) => setWin(Number(e.currentTarget.value))}>
            {windows.map((w, i) => (
              <option value={i}>{w.label}</option>
            ))}
          </select>
          <Refresh l={calls} />
        </>
      }
    >
      <Section title="Calls" testid="calls">
        <Status l={calls} empty={(d) => d.records.length === 0}>
          {(d) => (
            <>
              <table data-testid="calls-table">
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Surface</th>
                    <th>Key</th>
                    <th>Route / model</th>
                    <th>Status</th>
                    <th>Tokens in / out</th>
                    <th>Cost</th>
                    <th>Latency</th>
                  </tr>
                </thead>
                <tbody>
                  {[...d.records, ...(more?.records ?? [])].map((c) => (
                    <tr data-testid="call-row">
                      <td>
                        <a {...link(`/calls/${encodeURIComponent(c.id)}`)} data-testid="call-link">
                          {fmtTime(c.receivedAt)}
                        </a>
                      </td>
                      <td>{enumName(Surface, c.surface, "SURFACE_")}</td>
                      <td class="mono">{c.principal?.keyId || "—"}</td>
                      <td>
                        {c.route ? `${c.route} → ` : ""}
                        {c.provider}/{c.model || c.requestedModel}
                      </td>
                      <td>{statusBadge(c.status)}</td>
                      <td>
                        {String(c.usage?.inputTokens ?? 0)} / {String(c.usage?.outputTokens ?? 0)}
                      </td>
                      <td>{fmtCost(c.usage?.costMicros ?? 0n)}</td>
                      <td>{fmtDuration(c.latency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <ErrorBox error={merror} />
              {next !== "" && (
                <div class="row end">
                  <button type="button" class="secondary" disabled={mbusy} onClick={() => void loadMore()}>
                    {mbusy ? "Loading…" : "Load more"}
                  </button>
                </div>
              )}
            </>
          )}
        </Status>
      </Section>
    </Page>
  );
}

function body(b: Body | undefined): string {
  if (b === undefined) return "(not recorded)";
  if (b.content.case === "json") {
    try {
      return JSON.stringify(JSON.parse(b.content.value), null, 2);
    } catch {
      return b.content.value;
    }
  }
  if (b.content.case === "raw") return new TextDecoder().decode(b.content.value);
  return "(empty)";
}

export function CallDetail({ id }: { id: string }) {
  const call = useLoad(() => audit.getCall({ id }), [id]);
  return (
    <Page title="Call" actions={<a {...link("/calls")}>← Call log</a>}>
      <Status l={call}>{(d) => (d.record ? <CallView_ c={d.record} /> : <p class="muted">Not found.</p>)}</Status>
    </Page>
  );
}

function CallView_({ c }: { c: CallRecord }) {
  const u = c.usage;
  return (
    <>
      <Section title="Summary" testid="call-detail">
        <dl class="facts">
          <dt>Id</dt>
          <dd class="mono" data-testid="call-id">
            {c.id}
          </dd>
          <dt>Received</dt>
          <dd>{fmtTime(c.receivedAt)}</dd>
          <dt>Status</dt>
          <dd>
            {statusBadge(c.status)} {c.errorClass ? enumName(ErrorClass, c.errorClass, "ERROR_CLASS_") : ""} {c.errorMessage}
          </dd>
          <dt>Surface</dt>
          <dd>
            {enumName(Surface, c.surface, "SURFACE_")}
            {c.streamed ? ", streamed" : ""}
          </dd>
          <dt>Key</dt>
          <dd class="mono">{c.principal?.keyId || "—"}</dd>
          <dt>Owner</dt>
          <dd>{[c.principal?.user, c.principal?.team, c.principal?.project].filter(Boolean).join(" / ") || "—"}</dd>
          <dt>Requested</dt>
          <dd>{c.requestedModel}</dd>
          <dt>Served by</dt>
          <dd data-testid="call-model">
            {c.route ? `${c.route} → ` : ""}
            {c.provider}/{c.model}
          </dd>
          {c.promptName && (
            <>
              <dt>Prompt</dt>
              <dd>
                {c.promptName} v{c.promptVersion} {c.promptLabel && `(${c.promptLabel})`}
              </dd>
            </>
          )}
          {c.runId && (
            <>
              <dt>Run</dt>
              <dd>
                <a {...link(`/runs/${encodeURIComponent(c.runId)}`)}>{c.runId}</a> step {c.stepId}
              </dd>
            </>
          )}
          <dt>Tokens</dt>
          <dd data-testid="call-tokens">
            {String(u?.inputTokens ?? 0)} in ({String(u?.cachedInputTokens ?? 0)} cached), {String(u?.outputTokens ?? 0)} out ({String(u?.reasoningTokens ?? 0)} reasoning)
          </dd>
          <dt>Cost</dt>
          <dd>{fmtCost(u?.costMicros ?? 0n)}</dd>
          <dt>Latency</dt>
          <dd>
            {fmtDuration(c.latency)} (first token {fmtDuration(c.timeToFirstToken)})
          </dd>
          <dt>Finish</dt>
          <dd>{enumName(FinishReason, c.finishReason, "FINISH_REASON_") || "—"}</dd>
          <dt>Cache</dt>
          <dd>{c.cacheHit ? "hit" : "miss"}</dd>
        </dl>
      </Section>
      {c.attempts.length > 0 && (
        <Section title="Attempts">
          <table>
            <thead>
              <tr>
                <th>Provider</th>
                <th>Model</th>
                <th>Outcome</th>
                <th>Latency</th>
              </tr>
            </thead>
            <tbody>
              {c.attempts.map((a) => (
                <tr>
                  <td>{a.provider}</td>
                  <td>{a.model}</td>
                  <td>{a.errorClass ? `${enumName(ErrorClass, a.errorClass, "ERROR_CLASS_")} ${a.upstreamStatus || ""} ${a.errorMessage}` : "ok"}</td>
                  <td>{fmtDuration(a.latency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      <div class="split even">
        <Section title="Request" testid="call-request">
          <pre class="json">{body(c.requestBody)}</pre>
        </Section>
        <Section title="Response" testid="call-response">
          <pre class="json">{body(c.responseBody)}</pre>
        </Section>
      </div>
    </>
  );
}
