// The approvals inbox: every step waiting for a decision.
import { Code, ConnectError } from "@connectrpc/connect";
import { RunStatus, type PendingApproval } from "@gen/manifold/workflows/v1/run_pb.js";
import { workflows } from "../api";
import { Page, Refresh, Section, Status, useLoad } from "../ui";
import { ApprovalCard } from "./approval";

// unimplemented tells a gateway whose workflows service lacks an RPC: it
// answers unimplemented, or internal "... is not implemented" when its
// error mapping turns the former into the latter.
function unimplemented(e: unknown): boolean {
  return e instanceof ConnectError && (e.code === Code.Unimplemented || (e.code === Code.Internal && e.rawMessage.endsWith("is not implemented")));
}

async function pending(): Promise<PendingApproval[]> {
  try {
    return (await workflows.listPendingApprovals({ pageSize: 200 })).approvals;
  } catch (e) {
    if (!unimplemented(e)) throw e;
  }
  // Without the inbox RPC: the pending approvals of the runs waiting, each
  // read in full (a listed run may leave them out).
  const waiting = await workflows.listRuns({ pageSize: 200, statuses: [RunStatus.WAITING_FOR_APPROVAL] });
  const runs = await Promise.all(
    waiting.runs.map(async (r) => (r.pendingApprovals.length > 0 ? r : ((await workflows.getRun({ runId: r.id })).run ?? r))),
  );
  return runs.flatMap((r) => r.pendingApprovals);
}

export function Approvals() {
  const l = useLoad(pending);
  return (
    <Page title="Approvals" actions={<Refresh l={l} />}>
      <Section title="Waiting for a decision" testid="approvals">
        <Status l={l} empty={(d) => d.length === 0}>
          {(d) => (
            <div class="stack">
              {d.map((a) => (
                <ApprovalCard key={`${a.runId}/${a.stepId}/${a.digest}`} a={a} />
              ))}
            </div>
          )}
        </Status>
      </Section>
    </Page>
  );
}
