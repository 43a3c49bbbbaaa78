// Workflow runs (ListRuns) and one run with its steps (GetRun).
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { ApprovalDecision, RunStatus, StepKind, StepStatus, type Run } from "@gen/manifold/workflows/v1/run_pb.js";
import { enumName, fmtCost, fmtTime, workflows } from "../api";
import { link } from "../nav";
import { Badge, Page, Refresh, Section, Status, useLoad } from "../ui";
import { ApprovalCard } from "./approval";

function tone(s: RunStatus | StepStatus, ok: number, wait: number): "ok" | "warn" | "bad" | "info" {
  if (s === ok) return "ok";
  if (s === wait) return "warn";
  if (s === RunStatus.RUNNING || s === RunStatus.PENDING) return "info";
  return "bad";
}

function runBadge(s: RunStatus) {
  return <Badge text={enumName(RunStatus, s, "RUN_STATUS_")} tone={tone(s, RunStatus.SUCCEEDED, RunStatus.WAITING_FOR_APPROVAL)} />;
}

function json(v: Value | undefined): string {
  if (v === undefined) return "—";
  const j = toJson(ValueSchema, v);
  return typeof j === "string" ? j : JSON.stringify(j, null, 2);
}

export function Runs() {
  const l = useLoad(() => workflows.listRuns({ pageSize: 200 }));
  return (
    <Page title="Workflow runs" actions={<Refresh l={l} />}>
      <Section title="Runs" testid="runs">
        <Status l={l} empty={(d) => d.runs.length === 0}>
          {(d) => (
            <table data-testid="runs-table">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Chain</th>
                  <th>Status</th>
                  <th>Input</th>
                  <th>Started by</th>
                  <th>Created</th>
                  <th>Ended</th>
                  <th>Cost</th>
                </tr>
              </thead>
              <tbody>
                {d.runs.map((r) => (
                  <tr data-testid="run-row">
                    <td>
                      <a {...link(`/runs/${encodeURIComponent(r.id)}`)} class="mono" data-testid="run-link">
                        {r.id}
                      </a>
                    </td>
                    <td>
                      {r.chainName} v{r.chainVersion}
                    </td>
                    <td>{runBadge(r.status)}</td>
                    <td class="mono small">{r.input ? JSON.stringify(r.input) : "—"}</td>
                    <td>{r.startedBy}</td>
                    <td>{fmtTime(r.createdAt)}</td>
                    <td>{fmtTime(r.endedAt)}</td>
                    {/* A listed run may leave its usage out: "—" rather than $0. */}
                    <td>{r.usage ? fmtCost(r.usage.costMicros) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </Section>
    </Page>
  );
}

export function RunDetail({ id }: { id: string }) {
  const l = useLoad(() => workflows.getRun({ runId: id }), [id]);
  return (
    <Page
      title="Run"
      actions={
        <>
          <a {...link("/runs")}>← Runs</a>
          <Refresh l={l} />
        </>
      }
    >
      <Status l={l}>{(d) => (d.run ? <RunView r={d.run} onDecided={l.reload} /> : <p class="muted">Not found.</p>)}</Status>
    </Page>
  );
}

function RunView({ r, onDecided }: { r: Run; onDecided: () => void }) {
  return (
    <>
      <Section title="Summary" testid="run-detail">
        <dl class="facts">
          <dt>Id</dt>
          <dd class="mono">{r.id}</dd>
          <dt>Chain</dt>
          <dd>
            {r.chainName} v{r.chainVersion} {r.chainLabel && `(${r.chainLabel})`}
          </dd>
          <dt>Status</dt>
          <dd data-testid="run-status">{runBadge(r.status)}</dd>
          <dt>Started by</dt>
          <dd>{r.startedBy}</dd>
          <dt>Created</dt>
          <dd>{fmtTime(r.createdAt)}</dd>
          <dt>Ended</dt>
          <dd>{fmtTime(r.endedAt)}</dd>
          <dt>Usage</dt>
          <dd>
            {String(r.usage?.inputTokens ?? 0)} in, {String(r.usage?.outputTokens ?? 0)} out, {fmtCost(r.usage?.costMicros ?? 0n)}
          </dd>
          {r.error && (
            <>
              <dt>Error</dt>
              <dd class="bad">{r.error.message}</dd>
            </>
          )}
        </dl>
        <h3>Input</h3>
        <pre class="json">{JSON.stringify(r.input ?? {}, null, 2)}</pre>
        {r.output && (
          <>
            <h3>Output</h3>
            <pre class="json" data-testid="run-output">
              {json(r.output)}
            </pre>
          </>
        )}
      </Section>
      {r.pendingApprovals.length > 0 && (
        <Section title="Waiting for approval">
          {r.pendingApprovals.map((a) => (
            <ApprovalCard key={a.digest} a={a} onDecided={onDecided} />
          ))}
        </Section>
      )}
      <Section title="Steps" testid="run-steps">
        <table>
          <thead>
            <tr>
              <th>Step</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Started</th>
              <th>Ended</th>
              <th>Tokens / cost</th>
              <th>Calls</th>
              <th>Output / decisions</th>
            </tr>
          </thead>
          <tbody>
            {r.steps.map((s) => (
              <tr data-testid="step-row">
                <td>{s.stepId}</td>
                <td>{enumName(StepKind, s.kind, "STEP_KIND_")}</td>
                <td>
                  <Badge text={enumName(StepStatus, s.status, "STEP_STATUS_")} tone={tone(s.status, StepStatus.SUCCEEDED, StepStatus.WAITING_FOR_APPROVAL)} />
                </td>
                <td>{fmtTime(s.startedAt)}</td>
                <td>{fmtTime(s.endedAt)}</td>
                <td>
                  {String((s.usage?.inputTokens ?? 0n) + (s.usage?.outputTokens ?? 0n))} / {fmtCost(s.usage?.costMicros ?? 0n)}
                </td>
                <td>
                  {s.callIds.map((c) => (
                    <div>
                      <a {...link(`/calls/${encodeURIComponent(c)}`)} class="mono small">
                        {c}
                      </a>
                    </div>
                  ))}
                  {s.toolInvocations.length > 0 && <div class="small">{s.toolInvocations.length} tool calls</div>}
                </td>
                <td class="small">
                  {s.output && <pre class="json small">{json(s.output)}</pre>}
                  {s.approvals.map((a) => (
                    <div>
                      {enumName(ApprovalDecision, a.decision, "APPROVAL_DECISION_")} by {a.decidedBy}
                      {a.comment ? `: ${a.comment}` : ""}
                    </div>
                  ))}
                  {s.error && <div class="bad">{s.error.message}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
