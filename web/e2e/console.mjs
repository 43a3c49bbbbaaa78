// Drives the console in Debian's Chromium (never a downloaded browser)
// against a running gateway; services/consoletest starts the gateway, seeds
// it and runs this script. It signs in, creates a key, streams an answer in
// the playground, finds that call in the call log and the usage chart,
// approves the pending workflow step, and writes a screenshot of every
// page. Nothing sleeps: it waits for elements and conditions, bounded.
//
// Environment: MANIFOLD_URL, MANIFOLD_ADMIN_KEY, CHROMIUM (executable),
// SCREENSHOTS (directory), APPROVE_RUN_ID and REJECT_RUN_ID (runs waiting
// for approval, about refunds and invoices),
// CREDENTIAL_SECRET (a vault secret that must never be shown).
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
const base = env("MANIFOLD_URL");
const adminKey = env("MANIFOLD_ADMIN_KEY");
const out = env("SCREENSHOTS");
const runId = env("APPROVE_RUN_ID");
const rejectRunId = env("REJECT_RUN_ID");
const credentialSecret = env("CREDENTIAL_SECRET");
await mkdir(out, { recursive: true });

const log = (...a) => console.log(new Date().toISOString(), ...a);

const browser = await chromium.launch({ executablePath: env("CHROMIUM"), headless: true, args: ["--no-sandbox"] });
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(30_000);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(e.message));
page.on("console", (m) => {
  // Failed calls are caught below with their URL.
  if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
});
// Every call must succeed, except those a step below makes to see an error
// shown (expectFailures).
let expectFailures = false;
page.on("response", (r) => {
  if (r.status() >= 400 && !expectFailures) {
    pageErrors.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
  }
});

// shot checks the page shows data (no empty state, no error) and saves it.
async function shot(name) {
  const errors = await page.locator("[data-testid=error]").allTextContents();
  assert.deepEqual(errors, [], `${name}: the page shows errors`);
  assert.equal(await page.locator(".empty").count(), 0, `${name}: the page shows an empty state`);
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
  log("screenshot", name);
}

async function go(nav) {
  await page.click(`[data-testid=nav-${nav}]`);
}

// until clicks the page's Refresh button, one RPC round trip at a time,
// until check() holds, for at most timeoutMs.
async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.click("[data-testid=refresh]")]);
    await page.waitForSelector("[data-testid=refresh]:not([disabled])");
  }
}

try {
  // A wrong key is refused in the page.
  await page.goto(`${base}/console/`);
  await shot("sign-in");
  expectFailures = true;
  await page.fill("[data-testid=admin-key]", "not-an-admin-key");
  await page.click("[data-testid=sign-in]");
  assert.match(await page.textContent("[data-testid=error]"), /^unauthenticated: /);
  expectFailures = false;
  // Sign in with the admin key; it lives in sessionStorage only.
  await page.fill("[data-testid=admin-key]", adminKey);
  await page.click("[data-testid=sign-in]");
  await page.waitForSelector("[data-testid=who]");
  const stored = await page.evaluate(() => ({ session: sessionStorage.getItem("manifold.adminKey"), local: JSON.stringify(localStorage), cookie: document.cookie }));
  assert.equal(stored.session, adminKey);
  assert.ok(!stored.local.includes(adminKey) && !stored.cookie.includes(adminKey), "the admin key escaped sessionStorage");
  log("signed in");

  // Create a key: its secret is shown once.
  await go("keys");
  await page.fill("[data-testid=key-name]", "browser-test key");
  await page.fill("[data-testid=key-user]", "browser-test");
  await page.click("[data-testid=create-key-submit]");
  const secret = (await page.textContent("[data-testid=new-secret]")).trim();
  assert.match(secret, /^mk-/, "the new key's secret");
  await page.waitForSelector("[data-testid=key-row]:has-text('browser-test key')");
  await shot("keys");
  await page.click("[data-testid=secret-done]");
  assert.ok(!(await page.content()).includes(secret), "the secret is still shown after Done");
  await page.reload();
  await page.waitForSelector("[data-testid=key-row]:has-text('browser-test key')");
  assert.ok(!(await page.content()).includes(secret), "the secret is shown again after a reload");
  log("created a key, secret shown once");
  // Revoking takes a confirmation.
  const keyRow = page.locator("[data-testid=key-row]", { hasText: "browser-test key" });
  await keyRow.locator("[data-testid=revoke]").click();
  await keyRow.locator("[data-testid=revoke-confirm]").click();
  await page.waitForSelector("[data-testid=key-row]:has-text('browser-test key') >> [data-testid=key-state]:has-text('revoked')");
  log("revoked it");

  // Stream an answer through the route `chat`: the text must grow over
  // several DOM updates, not arrive at once.
  await go("playground");
  await page.selectOption("[data-testid=target]", "chat");
  const said = "What does the console show?";
  await page.fill("[data-testid=message]", said);
  await page.evaluate(() => {
    const el = document.querySelector("[data-testid=answer]");
    const seen = (window.__answerLengths = []);
    new MutationObserver(() => {
      const n = el.textContent.replace("▍", "").length;
      if (seen[seen.length - 1] !== n) seen.push(n);
    }).observe(el, { childList: true, subtree: true, characterData: true });
  });
  // A bad virtual key: the stream's error is shown, not swallowed.
  expectFailures = true;
  await page.fill("[data-testid=virtual-key]", "mk-not-a-real-key");
  await page.click("[data-testid=send]");
  assert.match(await page.textContent("[data-testid=error]"), /^unauthenticated: /);
  expectFailures = false;
  await page.fill("[data-testid=virtual-key]", "");
  await page.click("[data-testid=send]");
  await page.waitForSelector("[data-testid=finish]");
  const lengths = await page.evaluate(() => window.__answerLengths);
  const answer = (await page.textContent("[data-testid=answer]")).trim();
  assert.equal(answer, `Hello from Manifold's demo model. You said: ${said}`);
  const growing = lengths.filter((n, i) => n > 0 && (i === 0 || n > lengths[i - 1]));
  assert.ok(growing.length >= 3, `the answer appeared in ${growing.length} steps (${lengths}), want it streamed token by token`);
  assert.equal(await page.textContent("[data-testid=finish]"), "stop");
  const callHref = await page.getAttribute("[data-testid=answer-meta] a", "href");
  const callId = decodeURIComponent(callHref.split("/").pop());
  const playgroundKey = await page.evaluate(() => JSON.parse(sessionStorage.getItem("manifold.playgroundKey")).id);
  await shot("playground");
  log(`streamed the answer in ${growing.length} steps; call ${callId} with key ${playgroundKey}`);

  // The call in the log, and in full.
  await go("calls");
  const callLink = `[data-testid=call-link][href="${callHref}"]`;
  await until("the playground call in the call log", async () => (await page.locator(callLink).count()) > 0);
  const row = page.locator("[data-testid=call-row]", { has: page.locator(callLink) });
  assert.match(await row.textContent(), /chat → demo\/assistant/);
  assert.match(await row.textContent(), new RegExp(playgroundKey));
  await shot("calls");
  // Only failed calls: the bad key's call, not the playground's answer.
  await page.selectOption("[data-testid=status-filter]", { label: "failed" });
  await page.locator(callLink).waitFor({ state: "detached" });
  await page.waitForSelector("[data-testid=call-row]:has-text('failed')");
  assert.equal(await page.locator("[data-testid=call-row]:has-text('succeeded')").count(), 0, "succeeded calls listed under failed");
  await page.selectOption("[data-testid=status-filter]", { label: "Any status" });
  await page.click(callLink);
  await page.waitForSelector("[data-testid=call-detail]");
  assert.equal((await page.textContent("[data-testid=call-id]")).trim(), callId);
  assert.match(await page.textContent("[data-testid=call-model]"), /chat → demo\/assistant/);
  assert.match(await page.textContent("[data-testid=call-request]"), new RegExp(said.replace("?", "\\?")));
  await shot("call-detail");
  log("found the call in the log");

  // The call in the usage charts, by key and by model.
  await go("usage");
  await page.selectOption("[data-testid=range]", "0");
  await until("the playground key in the usage chart and the quota ledger", async () => {
    const legend = await page.locator("[data-testid=chart-by-key] [data-testid=legend-item]").allTextContents();
    const ledger = await page.locator("[data-testid=ledger-row]").allTextContents();
    return legend.some((t) => t.includes(playgroundKey)) && ledger.some((t) => t.includes(playgroundKey));
  });
  assert.ok((await page.locator("[data-testid=chart-by-key] [data-testid=bar]").count()) > 0, "no bars by key");
  const models = await page.locator("[data-testid=chart-by-model] [data-testid=legend-item]").allTextContents();
  assert.ok(models.includes("assistant"), `models in the chart: ${models}`);
  await shot("usage");
  await page.selectOption("[data-testid=metric]", "cost");
  await page.waitForSelector("[data-testid=usage-by-model] h2:text('Cost by model')");
  assert.ok((await page.locator("[data-testid=chart-by-model] [data-testid=bar]").count()) > 0, "no cost bars by model");
  await shot("usage-cost");
  log("found the call in the usage chart");

  // Providers, credentials (masked), models, routes.
  await go("providers");
  await page.waitForSelector("[data-testid=providers] tbody tr:has-text('openai')");
  await page.waitForSelector("[data-testid=routes] tbody tr:has-text('chat')");
  const masked = await page.textContent("[data-testid=credentials] [data-testid=masked]");
  assert.ok(masked.length > 0 && !masked.includes(credentialSecret), `masked credential ${masked}`);
  assert.ok(!(await page.content()).includes(credentialSecret), "a credential's secret is shown");
  await shot("providers");

  // Prompts: versions, diff, labels, publication.
  await go("prompts");
  await page.waitForSelector("[data-testid=version-row] >> nth=1");
  await page.waitForSelector("[data-testid=diff-text]");
  assert.match(await page.textContent("[data-testid=diff-text]"), /politely/);
  assert.match(await page.textContent("[data-testid=labels]"), /production → v2/);
  await page.waitForSelector("[data-testid=publications] :text('/apis/support-reply')");
  await page.fill("[data-testid=label-name]", "staging");
  await page.selectOption("[data-testid=label-version]", "1");
  await page.click("[data-testid=set-label]");
  await page.waitForSelector("[data-testid=labels] :text('staging → v1')");
  await shot("prompts");
  log("prompts shown");

  // Runs, and the run waiting for approval with its steps.
  await go("runs");
  await page.waitForSelector(`[data-testid=run-row]:has-text('${runId}')`);
  await shot("runs");
  await page.click(`[data-testid=run-link]:has-text('${runId}')`);
  await page.waitForSelector("[data-testid=step-row] >> nth=1");
  assert.match(await page.textContent("[data-testid=run-status]"), /waiting for approval/);
  await shot("run-detail");

  // Approve one pending step from the inbox, reject the other.
  await go("approvals");
  const card = page.locator("[data-testid=approval]", { hasText: runId });
  await card.waitFor();
  assert.match(await card.locator("[data-testid=approval-subject]").textContent(), /Hello from Manifold's demo model/);
  assert.match(await card.locator("[data-testid=approval-instructions]").textContent(), /refunds/);
  await card.locator("[data-testid=approval-comment]").fill("approved in the browser test");
  await card.locator("[data-testid=approve]").click();
  await card.locator("[data-testid=approval-decided]").waitFor();
  assert.match(await card.locator("[data-testid=approval-decided]").textContent(), /^approved by /);
  const other = page.locator("[data-testid=approval]", { hasText: rejectRunId });
  assert.match(await other.locator("[data-testid=approval-instructions]").textContent(), /invoices/);
  await other.locator("[data-testid=approval-comment]").fill("rejected in the browser test");
  await other.locator("[data-testid=reject]").click();
  await other.locator("[data-testid=approval-decided]").waitFor();
  assert.match(await other.locator("[data-testid=approval-decided]").textContent(), /^rejected by /);
  await shot("approvals");
  log("approved one pending step, rejected the other");

  await go("runs");
  await page.click(`[data-testid=run-link]:has-text('${runId}')`);
  await page.waitForSelector("[data-testid=run-status]");
  await until("the approved run to succeed", async () => /succeeded/.test(await page.textContent("[data-testid=run-status]")), 60_000);
  await page.waitForSelector("[data-testid=run-output]");
  await shot("run-succeeded");
  log("the run succeeded");

  // Signing out forgets the admin key.
  await page.click("[data-testid=sign-out]");
  await page.waitForSelector("[data-testid=signin]");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("manifold.adminKey")), null);
  log("signed out");

  assert.deepEqual(pageErrors, [], "errors in the browser console");
} catch (e) {
  await page.screenshot({ path: `${out}/failure.png`, fullPage: true }).catch(() => {});
  throw e;
} finally {
  await browser.close();
}
