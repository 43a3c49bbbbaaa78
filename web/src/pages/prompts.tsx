// Prompts: their immutable versions, the diff between two versions, labels
// pointing at versions, and publication as a prompt API.
import { useState } from "preact/hooks";
import type { Message } from "@gen/manifold/mcp/v1/mcp_pb.js";
import { Role } from "@gen/manifold/mcp/v1/mcp_pb.js";
import type { Prompt } from "@gen/manifold/prompts/v1/prompts_pb.js";
import { enumName, fmtTime, prompts } from "../api";
import { Badge, ErrorBox, Page, Refresh, Section, Status, useAction, useLoad } from "../ui";

function messageText(m: Message): string {
  return m.content.map((c) => (c.part.case === "text" ? c.part.value : `[${c.part.case}]`)).join("");
}

export function Prompts() {
  const list = useLoad(() => prompts.listPrompts({ pageSize: 1000 }));
  const [selected, setSelected] = useState<string>();
  const name = selected ?? list.data?.prompts[0]?.name;
  const prompt = list.data?.prompts.find((p) => p.name === name);
  return (
    <Page title="Prompts" actions={<Refresh l={list} />}>
      <Status l={list} empty={(d) => d.prompts.length === 0}>
        {(d) => (
          <div class="split">
            <Section title="Prompts" testid="prompt-list">
              <ul class="pick">
                {d.prompts.map((p) => (
                  <li>
                    <button type="button" class={p.name === name ? "link active" : "link"} onClick={() => setSelected(p.name)} data-testid="prompt-item">
                      {p.name} <span class="muted">v{p.latestVersion}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </Section>
            {prompt && <PromptDetail key={prompt.name} prompt={prompt} onChange={list.reload} />}
          </div>
        )}
      </Status>
    </Page>
  );
}

function PromptDetail({ prompt, onChange }: { prompt: Prompt; onChange: () => void }) {
  const versions = useLoad(() => prompts.listPromptVersions({ name: prompt.name, pageSize: 1000 }), [prompt.name]);
  const pubs = useLoad(() => prompts.listPublications({ promptName: prompt.name, pageSize: 1000 }), [prompt.name]);
  const latest = prompt.latestVersion;
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);
  const diff = useLoad(() => prompts.diffPromptVersions({ name: prompt.name, fromVersion: from, toVersion: to }), [prompt.name, from, to]);
  const [label, setLabel] = useState("production");
  const [labelVersion, setLabelVersion] = useState(latest);
  const [slug, setSlug] = useState(prompt.name.replace(/[^a-z0-9-]/g, "-"));
  const [pubLabel, setPubLabel] = useState(prompt.labels[0]?.name ?? "production");
  const [streaming, setStreaming] = useState(true);
  const [lbusy, lerror, lrun] = useAction();
  const [pbusy, perror, prun] = useAction();
  const vs = versions.data?.versions ?? [];

  const setLabelTo = (e: Event) => {
    e.preventDefault();
    void lrun(async () => {
      await prompts.setLabel({ name: prompt.name, label, targets: [{ version: labelVersion, weight: 100 }] });
      onChange();
    });
  };
  const publish = (e: Event) => {
    e.preventDefault();
    void prun(async () => {
      await prompts.publishPrompt({ slug, promptName: prompt.name, label: pubLabel, allowStreaming: streaming, description: prompt.description });
      pubs.reload();
    });
  };

  return (
    <div class="stack">
      <Section title={`${prompt.name}`} testid="prompt-detail">
        <p>{prompt.description || <span class="muted">No description.</span>}</p>
        <div class="row wrap" data-testid="labels">
          {prompt.labels.length === 0 && <span class="muted">No labels.</span>}
          {prompt.labels.map((l) => (
            <Badge text={`${l.name} → ${l.targets.map((t) => `v${t.version}${l.targets.length > 1 ? ` ${t.weight}%` : ""}`).join(", ")}`} tone="info" />
          ))}
        </div>
      </Section>
      <Section title="Versions" testid="versions">
        <Status l={versions} empty={(d) => d.versions.length === 0}>
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Message</th>
                  <th>Author</th>
                  <th>Created</th>
                  <th>Template</th>
                </tr>
              </thead>
              <tbody>
                {d.versions.map((v) => (
                  <tr data-testid="version-row">
                    <td>v{v.version}</td>
                    <td>{v.message || "—"}</td>
                    <td>{v.author}</td>
                    <td>{fmtTime(v.createdAt)}</td>
                    <td class="mono small">
                      {v.template?.messages.map((m) => (
                        <div>
                          <strong>{enumName(Role, m.role, "ROLE_")}:</strong> {messageText(m)}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </Section>
      <Section title="Diff" testid="diff">
        <div class="row">
          <label>
            From
            <select value={from} onChange={(e) => setFrom(Number(e.currentTarget.value))}>
              {vs.map((v) => (
                <option value={v.version}>v{v.version}</option>
              ))}
            </select>
          </label>
          <label>
            To
            <select value={to} onChange={(e) => setTo(Number(e.currentTarget.value))}>
              {vs.map((v) => (
                <option value={v.version}>v{v.version}</option>
              ))}
            </select>
          </label>
        </div>
        <Status l={diff}>
          {(d) =>
            d.identical ? (
              <p class="muted">The two versions are identical.</p>
            ) : (
              <pre class="diff" data-testid="diff-text">
                {d.unifiedDiff.split("\n").map((line) => (
                  <div class={line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : ""}>{line}</div>
                ))}
              </pre>
            )
          }
        </Status>
      </Section>
      <div class="split even">
        <Section title="Set a label">
          <form class="form" onSubmit={setLabelTo}>
            <label>
              Label
              <input value={label} onInput={(e) => setLabel(e.currentTarget.value)} required data-testid="label-name" />
            </label>
            <label>
              Version
              <select value={labelVersion} onChange={(e) => setLabelVersion(Number(e.currentTarget.value))} data-testid="label-version">
                {vs.map((v) => (
                  <option value={v.version}>v{v.version}</option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={lbusy} data-testid="set-label">
              Point label at version
            </button>
            <ErrorBox error={lerror} />
          </form>
        </Section>
        <Section title="Publish as an API" testid="publications">
          <Status l={pubs}>
            {(d) =>
              d.publications.length === 0 ? (
                <p class="muted">Not published.</p>
              ) : (
                <ul>
                  {d.publications.map((p) => (
                    <li>
                      <code>POST /apis/{p.slug}</code> → label {p.label}
                      {p.allowStreaming ? ", streaming allowed" : ""}
                    </li>
                  ))}
                </ul>
              )
            }
          </Status>
          <form class="form" onSubmit={publish}>
            <label>
              Slug
              <input value={slug} onInput={(e) => setSlug(e.currentTarget.value)} required />
            </label>
            <label>
              Label
              <input value={pubLabel} onInput={(e) => setPubLabel(e.currentTarget.value)} required />
            </label>
            <label class="check">
              <input type="checkbox" checked={streaming} onChange={(e) => setStreaming(e.currentTarget.checked)} /> Allow streaming
            </label>
            <button type="submit" disabled={pbusy}>
              Publish
            </button>
            <ErrorBox error={perror} />
          </form>
        </Section>
      </div>
    </div>
  );
}
