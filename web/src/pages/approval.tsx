// One pending approval with approve and reject: the decision is bound to
// the digest of exactly what was shown.
import { useState } from "preact/hooks";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ApprovalDecision, type ApprovalRecord, type PendingApproval } from "@gen/manifold/workflows/v1/run_pb.js";
import { enumName, fmtTime, workflows } from "../api";
import { link } from "../nav";
import { ErrorBox, useAction } from "../ui";

function subjectText(a: PendingApproval): string {
  switch (a.subject.case) {
    case "value": {
      const v = toJson(ValueSchema, a.subject.value);
      return typeof v === "string" ? v : JSON.stringify(v, null, 2);
    }
    case "toolCall":
      return `${a.subject.value.name}(${a.subject.value.arguments})`;
    default:
      return "";
  }
}

export function ApprovalCard({ a, onDecided }: { a: PendingApproval; onDecided?: (r: ApprovalRecord) => void }) {
  const [comment, setComment] = useState("");
  const [decided, setDecided] = useState<ApprovalRecord>();
  const [busy, error, run] = useAction();
  const decide = (approve: boolean) =>
    run(async () => {
      const req = { runId: a.runId, stepId: a.stepId, digest: a.digest, comment };
      const res = approve ? await workflows.approveStep(req) : await workflows.rejectStep(req);
      setDecided(res.approval);
      if (res.approval) onDecided?.(res.approval);
    });
  return (
    <article class="approval card" data-testid="approval">
      <header class="row between">
        <strong>
          {a.chainName} v{a.chainVersion} · step {a.stepId}
        </strong>
        <a {...link(`/runs/${encodeURIComponent(a.runId)}`)} class="mono small">
          run {a.runId}
        </a>
      </header>
      {a.instructions && <p data-testid="approval-instructions">{a.instructions}</p>}
      <pre class="subject" data-testid="approval-subject">
        {subjectText(a)}
      </pre>
      <p class="muted small">
        Approvers: {[...(a.approvers?.roles ?? []).map((r) => `role ${r}`), ...(a.approvers?.principals ?? [])].join(", ") || "—"}
        {a.escalated ? " (escalated)" : ""} · requested {fmtTime(a.requestedAt)} · deadline {fmtTime(a.deadline)} · digest <span class="mono">{a.digest.slice(0, 12)}…</span>
      </p>
      {decided ? (
        <p class="decided" data-testid="approval-decided">
          {enumName(ApprovalDecision, decided.decision, "APPROVAL_DECISION_")} by {decided.decidedBy}
          {decided.comment ? `: ${decided.comment}` : ""}
        </p>
      ) : (
        <div class="row">
          <input placeholder="Comment (optional)" value={comment} onInput={(e) => setComment(e.currentTarget.value)} data-testid="approval-comment" />
          <button type="button" disabled={busy} onClick={() => decide(true)} data-testid="approve">
            Approve
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => decide(false)} data-testid="reject">
            Reject
          </button>
        </div>
      )}
      <ErrorBox error={error} />
    </article>
  );
}
