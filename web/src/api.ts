// Connect clients for every Manifold service, over the gateway that serves
// the console (same origin), and the signed-in admin key.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { AuditService } from "@gen/manifold/audit/v1/audit_service_pb.js";
import { KeyVaultService } from "@gen/manifold/keyvault/v1/keyvault_service_pb.js";
import { PromptService } from "@gen/manifold/prompts/v1/prompt_service_pb.js";
import { QuotaService } from "@gen/manifold/quota/v1/quota_service_pb.js";
import { RouterService } from "@gen/manifold/router/v1/router_pb.js";
import { WorkflowService } from "@gen/manifold/workflows/v1/workflow_service_pb.js";

// The admin key lives only in this tab's sessionStorage: it is gone when
// the tab closes and is never written anywhere else.
const adminKeyItem = "manifold.adminKey";

export function adminKey(): string | null {
  return sessionStorage.getItem(adminKeyItem);
}

export function setAdminKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(adminKeyItem);
  else sessionStorage.setItem(adminKeyItem, key);
}

// auth sends the admin key unless the call brings its own (model calls
// send a virtual key).
const auth: Interceptor = (next) => (req) => {
  const key = adminKey();
  if (key !== null && !req.header.has("Authorization")) req.header.set("Authorization", `Bearer ${key}`);
  return next(req);
};

const transport = createConnectTransport({
  baseUrl: location.origin,
  useBinaryFormat: true,
  interceptors: [auth],
});

export const keyvault = createClient(KeyVaultService, transport);
export const router = createClient(RouterService, transport);
export const prompts = createClient(PromptService, transport);
export const audit = createClient(AuditService, transport);
export const quota = createClient(QuotaService, transport);
export const workflows = createClient(WorkflowService, transport);

// errorText is what the page shows for a failed call: the Connect code and
// the server's message.
export function errorText(err: unknown): string {
  if (err instanceof ConnectError) {
    const code = Code[err.code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    return `${code}: ${err.rawMessage}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function fmtTime(ts: Timestamp | undefined): string {
  if (ts === undefined) return "—";
  return timestampDate(ts).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function fmtDuration(d: Pick<Duration, "seconds" | "nanos"> | undefined): string {
  if (d === undefined) return "—";
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

// fmtCost formats micro-dollars.
export function fmtCost(micros: bigint | number): string {
  const m = Number(micros);
  if (m === 0) return "$0";
  // Single calls cost fractions of a cent: keep their micro-dollars.
  return `$${(m / 1e6).toFixed(Math.abs(m) < 10_000 ? 6 : 4)}`;
}

// enumName turns FOO_BAR_BAZ of an enum whose prefix is FOO_BAR_ into "baz".
export function enumName(names: Record<number, string>, value: number, prefix: string): string {
  const name = names[value] ?? String(value);
  return name.replace(prefix, "").toLowerCase().replace(/_/g, " ");
}
