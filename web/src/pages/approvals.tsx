// The approvals inbox: every step waiting for a decision.
import { workflows } from "../api";
import { Page, Refresh, Section, Status, useLoad } from "../ui";
import { ApprovalCard } from "./approval";

export function Approvals() {
  const l = useLoad(() => workflows.listPendingApprovals({ pageSize: 200 }));
  return (
    <Page title="Approvals" actions={<Refresh l={l} />}>
      <Section title="Waiting for a decision" testid="approvals">
        <Status l={l} empty={(d) => d.approvals.length === 0}>
          {(d) => (
            <div class="stack">
              {d.approvals.map((a) => (
                <ApprovalCard key={`${a.runId}/${a.stepId}/${a.digest}`} a={a} />
              ))}
            </div>
          )}
        </Status>
      </Section>
    </Page>
  );
}
