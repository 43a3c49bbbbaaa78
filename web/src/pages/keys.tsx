// Virtual keys: create one (its secret is shown once, here, and never
// again), list them, revoke one.
import { useState } from "preact/hooks";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { KeyState, type VirtualKey } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { enumName, fmtTime, keyvault } from "../api";
import { Badge, ErrorBox, Page, Refresh, Section, Status, useAction, useLoad } from "../ui";

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

function owner(k: VirtualKey): string {
  const o = k.owner;
  return [o?.user && `user ${o.user}`, o?.team && `team ${o.team}`, o?.project && `project ${o.project}`].filter(Boolean).join(", ") || "—";
}

export function Keys() {
  // Revoked and expired keys too: the list is also their history.
  const keys = useLoad(() => keyvault.listVirtualKeys({ pageSize: 1000, states: [KeyState.ACTIVE, KeyState.REVOKED, KeyState.EXPIRED] }));
  const [name, setName] = useState("");
  const [user, setUser] = useState("");
  const [team, setTeam] = useState("");
  const [project, setProject] = useState("");
  const [routes, setRoutes] = useState("*");
  const [models, setModels] = useState("*");
  const [days, setDays] = useState("");
  const [created, setCreated] = useState<{ key: VirtualKey; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [busy, error, run] = useAction();
  const [revoking, setRevoking] = useState<string | null>(null);
  const [rbusy, rerror, rrun] = useAction();

  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const d = Number(days);
      const res = await keyvault.createVirtualKey({
        name: name.trim(),
        owner: { user: user.trim(), team: team.trim(), project: project.trim() },
        scopes: { routes: list(routes), models: list(models) },
        expiresAt: days.trim() !== "" && d > 0 ? timestampFromDate(new Date(Date.now() + d * 86_400_000)) : undefined,
      });
      setCreated({ key: res.key!, secret: res.secret });
      setCopied(false);
      setName("");
      keys.reload();
    });
  };

  const revoke = (id: string) =>
    rrun(async () => {
      await keyvault.revokeVirtualKey({ keyId: id, reason: "revoked in the console" });
      setRevoking(null);
      keys.reload();
    });

  return (
    <Page title="Virtual keys" actions={<Refresh l={keys} />}>
      <Section title="Create a key" testid="create-key">
        {created && (
          <div class="secret" data-testid="new-secret-box">
            <p>
              <strong>Key “{created.key.name}” created.</strong> Copy its secret now: it is shown only once and cannot be retrieved later.
            </p>
            <div class="row">
              <code class="mono" data-testid="new-secret">
                {created.secret}
              </code>
              <button
                type="button"
                class="secondary"
                onClick={() => navigator.clipboard?.writeText(created.secret).then(() => setCopied(true), () => setCopied(false))}
              >
                {copied ? "Copied" : "Copy"}
              </button>
              <button type="button" onClick={() => setCreated(null)} data-testid="secret-done">
                Done
              </button>
            </div>
          </div>
        )}
        <form class="form grid" onSubmit={create}>
          <label>
            Name
            <input value={name} onInput={(e) => setName(e.currentTarget.value)} required data-testid="key-name" />
          </label>
          <label>
            Owner user
            <input value={user} onInput={(e) => setUser(e.currentTarget.value)} placeholder="alice@example.com" data-testid="key-user" />
          </label>
          <label>
            Team
            <input value={team} onInput={(e) => setTeam(e.currentTarget.value)} placeholder="support" />
          </label>
          <label>
            Project
            <input value={project} onInput={(e) => setProject(e.currentTarget.value)} placeholder="helpdesk" />
          </label>
          <label>
            <span>Routes it may call <span class="muted">(comma separated, * for all)</span></span>
            <input value={routes} onInput={(e) => setRoutes(e.currentTarget.value)} />
          </label>
          <label>
            Models it may call
            <input value={models} onInput={(e) => setModels(e.currentTarget.value)} />
          </label>
          <label>
            <span>Expires in days <span class="muted">(empty: never)</span></span>
            <input type="number" min="1" value={days} onInput={(e) => setDays(e.currentTarget.value)} />
          </label>
          <div class="row end">
            <button type="submit" disabled={busy || name.trim() === ""} data-testid="create-key-submit">
              {busy ? "Creating…" : "Create key"}
            </button>
          </div>
        </form>
        <ErrorBox error={error} />
      </Section>
      <Section title="Keys" testid="keys">
        <ErrorBox error={rerror} />
        <Status l={keys} empty={(d) => d.keys.length === 0}>
          {(d) => (
            <table data-testid="keys-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Id</th>
                  <th>Secret</th>
                  <th>Owner</th>
                  <th>Scopes</th>
                  <th>State</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.keys.map((k) => (
                  <tr data-testid="key-row">
                    <td>{k.name}</td>
                    <td class="mono">{k.id}</td>
                    <td class="mono">{k.secretHint}</td>
                    <td>{owner(k)}</td>
                    <td>
                      routes {k.scopes?.routes.join(", ") || "none"}; models {k.scopes?.models.join(", ") || "none"}
                    </td>
                    <td data-testid="key-state">
                      <Badge text={enumName(KeyState, k.state, "KEY_STATE_")} tone={k.state === KeyState.ACTIVE ? "ok" : "bad"} />
                    </td>
                    <td>{fmtTime(k.createdAt)}</td>
                    <td>{fmtTime(k.expiresAt)}</td>
                    <td>
                      {k.state === KeyState.ACTIVE &&
                        (revoking === k.id ? (
                          <span class="row">
                            <button type="button" class="danger" disabled={rbusy} onClick={() => revoke(k.id)} data-testid="revoke-confirm">
                              Confirm revoke
                            </button>
                            <button type="button" class="secondary" onClick={() => setRevoking(null)}>
                              Cancel
                            </button>
                          </span>
                        ) : (
                          <button type="button" class="secondary" onClick={() => setRevoking(k.id)} data-testid="revoke">
                            Revoke
                          </button>
                        ))}
                    </td>
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
