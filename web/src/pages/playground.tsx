// Playground: pick a route or a model, send a message and watch the answer
// stream in. Model calls need a virtual key: the console creates a
// short-lived one for the signed-in admin (or uses one pasted here).
import { useRef, useState } from "preact/hooks";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Principal } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { ErrorClass, FinishReason, Role, type ResponseMetadata, type Usage } from "@gen/manifold/mcp/v1/mcp_pb.js";
import { enumName, errorText, fmtCost, fmtDuration, keyvault, router } from "../api";
import { link } from "../nav";
import { ErrorBox, Page, Section, Status, useLoad } from "../ui";

// The playground key is short-lived, kept in this tab's sessionStorage and
// revoked on sign-out.
export const playgroundKeyItem = "manifold.playgroundKey";
const playgroundKeyLifetimeMs = 60 * 60 * 1000;

type StoredKey = { id: string; secret: string; expires: number };

export function storedKey(): StoredKey | null {
  try {
    const k = JSON.parse(sessionStorage.getItem(playgroundKeyItem) ?? "null") as StoredKey | null;
    return k !== null && k.expires > Date.now() + 60_000 ? k : null;
  } catch {
    return null;
  }
}

async function playgroundKey(who: Principal): Promise<StoredKey> {
  const have = storedKey();
  if (have !== null) return have;
  const expires = Date.now() + playgroundKeyLifetimeMs;
  const user = (who.owner?.user || who.name || "console").replace(/[^A-Za-z0-9_.@+-]/g, "-").replace(/^[^A-Za-z0-9]/, "c");
  const res = await keyvault.createVirtualKey({
    name: `console playground (${user})`,
    owner: { user },
    scopes: { routes: ["*"], models: ["*"] },
    expiresAt: timestampFromDate(new Date(expires)),
    metadata: { created_by_console: "playground" },
  });
  const k = { id: res.key?.id ?? "", secret: res.secret, expires };
  sessionStorage.setItem(playgroundKeyItem, JSON.stringify(k));
  return k;
}

export function Playground({ who }: { who: Principal }) {
  const catalog = useLoad(() => router.listModels({}));
  const [target, setTarget] = useState("");
  const [pasted, setPasted] = useState("");
  const [system, setSystem] = useState("");
  const [prompt, setPrompt] = useState("");
  const [temperature, setTemperature] = useState("");
  const [maxTokens, setMaxTokens] = useState("");
  const [answer, setAnswer] = useState("");
  const [usage, setUsage] = useState<Usage>();
  const [meta, setMeta] = useState<ResponseMetadata>();
  const [finish, setFinish] = useState<FinishReason>();
  const [callId, setCallId] = useState("");
  const [error, setError] = useState<string>();
  const [streaming, setStreaming] = useState(false);
  const abort = useRef<AbortController | null>(null);

  const chosen = target || catalog.data?.routes[0] || catalog.data?.models[0]?.name || "";

  const send = async (e: Event) => {
    e.preventDefault();
    if (streaming || prompt.trim() === "" || chosen === "") return;
    setAnswer("");
    setUsage(undefined);
    setMeta(undefined);
    setFinish(undefined);
    setCallId("");
    setError(undefined);
    setStreaming(true);
    const ctl = new AbortController();
    abort.current = ctl;
    try {
      const secret = pasted.trim() !== "" ? pasted.trim() : (await playgroundKey(who)).secret;
      const text = (value: string) => [{ part: { case: "text" as const, value } }];
      const messages = [...(system.trim() !== "" ? [{ role: Role.SYSTEM, content: text(system) }] : []), { role: Role.USER, content: text(prompt) }];
      const sampling = {
        temperature: temperature.trim() !== "" ? Number(temperature) : undefined,
        maxOutputTokens: maxTokens.trim() !== "" ? Number(maxTokens) : undefined,
      };
      const stream = router.generateStream(
        { request: { model: chosen, messages, sampling } },
        { headers: { Authorization: `Bearer ${secret}` }, signal: ctl.signal },
      );
      for await (const res of stream) {
        const ev = res.event?.event;
        switch (ev?.case) {
          case "start":
            setCallId(ev.value.id);
            break;
          case "textDelta":
            setAnswer((a) => a + ev.value.text);
            break;
          case "usage":
            setUsage(ev.value);
            break;
          case "finish":
            setFinish(ev.value.finishReason);
            setMeta(ev.value.metadata);
            break;
          case "error":
            setError(`${enumName(ErrorClass, ev.value.errorClass, "ERROR_CLASS_")}: ${ev.value.message}`);
            break;
        }
      }
    } catch (e) {
      if (!ctl.signal.aborted) setError(errorText(e));
    } finally {
      setStreaming(false);
      abort.current = null;
    }
  };

  return (
    <Page title="Playground">
      <Section title="Request">
        <Status l={catalog} empty={(d) => d.routes.length === 0 && d.models.length === 0}>
          {(d) => (
            <form class="form" onSubmit={send} data-testid="playground-form">
              <label>
                Route or model
                <select value={chosen} onChange={(e) => setTarget(e.currentTarget.value)} data-testid="target">
                  {d.routes.length > 0 && (
                    <optgroup label="Routes">
                      {d.routes.map((r) => (
                        <option value={r}>{r}</option>
                      ))}
                    </optgroup>
                  )}
                  <optgroup label="Models">
                    {d.models.map((m) => (
                      <option value={m.name}>
                        {m.name} ({m.provider})
                      </option>
                    ))}
                  </optgroup>
                </select>
              </label>
              <label>
                <span>Virtual key <span class="muted">(optional: empty uses a one-hour key created for you)</span></span>
                <input type="password" autocomplete="off" placeholder="mk-…" value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} data-testid="virtual-key" />
              </label>
              <label>
                <span>System prompt <span class="muted">(optional)</span></span>
                <textarea rows={2} value={system} onInput={(e) => setSystem(e.currentTarget.value)} data-testid="system" />
              </label>
              <label>
                <span>Message <span class="muted">(Ctrl+Enter sends)</span></span>
                <textarea
                  rows={4}
                  value={prompt}
                  onInput={(e) => setPrompt(e.currentTarget.value)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void send(e);
                  }}
                  required
                  data-testid="message"
                />
              </label>
              <div class="row">
                <label>
                  Temperature
                  <input type="number" min="0" max="2" step="0.1" placeholder="default" value={temperature} onInput={(e) => setTemperature(e.currentTarget.value)} />
                </label>
                <label>
                  Max output tokens
                  <input type="number" min="1" step="1" placeholder="default" value={maxTokens} onInput={(e) => setMaxTokens(e.currentTarget.value)} />
                </label>
              </div>
              <div class="row">
                <button type="submit" disabled={streaming || prompt.trim() === "" || chosen === ""} data-testid="send">
                  {streaming ? "Streaming…" : "Send"}
                </button>
                {streaming && (
                  <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
                    Stop
                  </button>
                )}
              </div>
            </form>
          )}
        </Status>
      </Section>
      <Section title="Answer" testid="answer-card">
        <ErrorBox error={error} />
        <pre class="answer" data-testid="answer" aria-live="polite">
          {answer}
          {streaming && <span class="cursor">▍</span>}
        </pre>
        {(usage || meta || finish !== undefined) && (
          <dl class="facts" data-testid="answer-meta">
            {meta && (
              <>
                <dt>Served by</dt>
                <dd>
                  {meta.route ? `${meta.route} → ` : ""}
                  {meta.provider}/{meta.model}
                </dd>
                <dt>Latency</dt>
                <dd>
                  {fmtDuration(meta.latency)} (first token {fmtDuration(meta.timeToFirstToken)})
                </dd>
              </>
            )}
            {usage && (
              <>
                <dt>Tokens</dt>
                <dd data-testid="answer-tokens">
                  {String(usage.inputTokens)} in, {String(usage.outputTokens)} out
                </dd>
                <dt>Cost</dt>
                <dd>{fmtCost(usage.costMicros)}</dd>
              </>
            )}
            {finish !== undefined && (
              <>
                <dt>Finish</dt>
                <dd data-testid="finish">{enumName(FinishReason, finish, "FINISH_REASON_")}</dd>
              </>
            )}
            {callId && !streaming && (
              <>
                <dt>Call</dt>
                <dd>
                  <a {...link(`/calls/${encodeURIComponent(callId)}`)}>{callId}</a>
                </dd>
              </>
            )}
          </dl>
        )}
      </Section>
    </Page>
  );
}
