// Usage and cost over time, by key and by model, from the call log's time
// buckets (AuditService.GetStats).
import { useState } from "preact/hooks";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { StatsDimension, type StatsBucket } from "@gen/manifold/audit/v1/audit_pb.js";
import { KeyState } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { UsageDimension, type UsageRow } from "@gen/manifold/quota/v1/quota_pb.js";
import { audit, fmtCost, fmtDuration, keyvault, quota } from "../api";
import { StackedBars, type Series } from "../chart";
import { Page, Refresh, Section, Status, useLoad } from "../ui";

const ranges = [
  { label: "Last hour", ms: 3_600_000, bucketS: 60 },
  { label: "Last 24 hours", ms: 86_400_000, bucketS: 1800 },
  { label: "Last 7 days", ms: 7 * 86_400_000, bucketS: 6 * 3600 },
  { label: "Last 30 days", ms: 30 * 86_400_000, bucketS: 86_400 },
];

const metrics = {
  requests: { label: "Requests", integer: true, of: (b: StatsBucket) => Number(b.requests), format: (v: number) => String(Math.round(v)) },
  tokens: { label: "Tokens", integer: true, of: (b: StatsBucket) => Number(b.inputTokens + b.outputTokens), format: (v: number) => String(Math.round(v)) },
  cost: { label: "Cost", integer: false, of: (b: StatsBucket) => Number(b.costMicros), format: (v: number) => fmtCost(v) },
};
type Metric = keyof typeof metrics;

type Load = { times: Date[]; byKey: StatsBucket[]; byModel: StatsBucket[]; ledger: UsageRow[]; ledgerTotal: UsageRow | undefined; keyNames: Map<string, string> };

async function load(rangeIdx: number): Promise<Load> {
  const r = ranges[rangeIdx]!;
  const widthMs = r.bucketS * 1000;
  // Buckets aligned on the width, the last one holding now.
  const end = Math.ceil((Date.now() + 1) / widthMs) * widthMs;
  const start = end - Math.ceil(r.ms / widthMs) * widthMs;
  const range = { start: timestampFromDate(new Date(start)), end: timestampFromDate(new Date(end)) };
  const bucketWidth = { seconds: BigInt(r.bucketS), nanos: 0 };
  const [byKey, byModel, ledger, keys] = await Promise.all([
    audit.getStats({ range, bucketWidth, groupBy: [StatsDimension.KEY] }),
    audit.getStats({ range, bucketWidth, groupBy: [StatsDimension.MODEL] }),
    // What budgets are charged: the quota service's ledger of settled spend.
    quota.getUsageReport({ range, groupBy: [UsageDimension.VIRTUAL_KEY, UsageDimension.MODEL], pageSize: 1000 }),
    keyvault.listVirtualKeys({ pageSize: 1000, states: [KeyState.ACTIVE, KeyState.REVOKED, KeyState.EXPIRED] }),
  ]);
  const times: Date[] = [];
  for (let t = start; t < end; t += widthMs) times.push(new Date(t));
  return {
    times,
    byKey: byKey.buckets,
    byModel: byModel.buckets,
    ledger: ledger.rows,
    ledgerTotal: ledger.total,
    keyNames: new Map(keys.keys.map((k) => [k.id, k.name])),
  };
}

function series(times: Date[], buckets: StatsBucket[], name: (b: StatsBucket) => string, of: (b: StatsBucket) => number): Series[] {
  const index = new Map(times.map((t, i) => [t.getTime(), i]));
  const by = new Map<string, number[]>();
  for (const b of buckets) {
    if (b.start === undefined) continue;
    const i = index.get(timestampDate(b.start).getTime());
    if (i === undefined) continue;
    const n = name(b);
    const values = by.get(n) ?? times.map(() => 0);
    values[i] = (values[i] ?? 0) + of(b);
    by.set(n, values);
  }
  return [...by.entries()].map(([n, values]) => ({ name: n, values })).sort((a, b) => a.name.localeCompare(b.name));
}

type Total = { requests: bigint; input: bigint; output: bigint; cost: bigint; p95ms: number };

function totals(buckets: StatsBucket[], name: (b: StatsBucket) => string): [string, Total][] {
  const by = new Map<string, Total>();
  for (const b of buckets) {
    const n = name(b);
    const t = by.get(n) ?? { requests: 0n, input: 0n, output: 0n, cost: 0n, p95ms: 0 };
    t.requests += b.requests;
    t.input += b.inputTokens;
    t.output += b.outputTokens;
    t.cost += b.costMicros;
    const p95 = b.latencyP95 ? Number(b.latencyP95.seconds) * 1000 + b.latencyP95.nanos / 1e6 : 0;
    t.p95ms = Math.max(t.p95ms, p95);
    by.set(n, t);
  }
  return [...by.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

export function Usage() {
  const [rangeIdx, setRangeIdx] = useState(1);
  const [metric, setMetric] = useState<Metric>("requests");
  const l = useLoad(() => load(rangeIdx), [rangeIdx]);
  const m = metrics[metric];
  return (
    <Page
      title="Usage & cost"
      actions={
        <>
          <select value={rangeIdx} onChange={(e) => setRangeIdx(Number(e.currentTarget.value))} data-testid="range">
            {ranges.map((r, i) => (
              <option value={i}>{r.label}</option>
            ))}
          </select>
          <select value={metric} onChange={(e) => setMetric(e.currentTarget.value as Metric)} data-testid="metric">
            {Object.entries(metrics).map(([k, v]) => (
              <option value={k}>{v.label}</option>
            ))}
          </select>
          <Refresh l={l} />
        </>
      }
    >
      <Status l={l} empty={(d) => d.byKey.length === 0}>
        {(d) => {
          const keyName = (b: StatsBucket) => {
            const id = b.group?.keyId ?? "";
            return id === "" ? "(no key)" : `${d.keyNames.get(id) ?? "key"} (${id})`;
          };
          const modelName = (b: StatsBucket) => b.group?.model || "(none)";
          return (
            <>
              <Section title={`${m.label} by key`} testid="usage-by-key">
                <StackedBars times={d.times} series={series(d.times, d.byKey, keyName, m.of)} format={m.format} integer={m.integer} testid="chart-by-key" />
              </Section>
              <Section title={`${m.label} by model`} testid="usage-by-model">
                <StackedBars times={d.times} series={series(d.times, d.byModel, modelName, m.of)} format={m.format} integer={m.integer} testid="chart-by-model" />
              </Section>
              <Section title="Totals by model" testid="usage-totals">
                <table>
                  <thead>
                    <tr>
                      <th>Model</th>
                      <th>Requests</th>
                      <th>Input tokens</th>
                      <th>Output tokens</th>
                      <th>Cost</th>
                      <th>Worst p95 latency</th>
                    </tr>
                  </thead>
                  <tbody>
                    {totals(d.byModel, modelName).map(([n, t]) => (
                      <tr data-testid="total-row">
                        <td>{n}</td>
                        <td>{String(t.requests)}</td>
                        <td>{String(t.input)}</td>
                        <td>{String(t.output)}</td>
                        <td>{fmtCost(t.cost)}</td>
                        <td>{fmtDuration({ seconds: BigInt(Math.floor(t.p95ms / 1000)), nanos: Math.round((t.p95ms % 1000) * 1e6) })}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
              <Section title="Billed spend by key and model (quota ledger)" testid="ledger">
                {d.ledger.length === 0 ? (
                  <p class="empty muted">No settled spend in this range yet.</p>
                ) : (
                  <table>
                    <thead>
                      <tr>
                        <th>Key</th>
                        <th>Model</th>
                        <th>Requests</th>
                        <th>Input tokens</th>
                        <th>Output tokens</th>
                        <th>Cost</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...d.ledger, ...(d.ledgerTotal ? [d.ledgerTotal] : [])].map((r, i) => (
                        <tr data-testid={i < d.ledger.length ? "ledger-row" : "ledger-total"} class={i < d.ledger.length ? "" : "total"}>
                          <td>{i < d.ledger.length ? `${d.keyNames.get(r.virtualKeyId) ?? "key"} (${r.virtualKeyId})` : "Total"}</td>
                          <td>{r.model}</td>
                          <td>{String(r.requests)}</td>
                          <td>{String(r.usage?.inputTokens ?? 0n)}</td>
                          <td>{String(r.usage?.outputTokens ?? 0n)}</td>
                          <td>{fmtCost(r.usage?.costMicros ?? 0n)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </Section>
            </>
          );
        }}
      </Status>
    </Page>
  );
}
