// The console's shell: sign-in gate, navigation and the page for the path.
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Principal } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { AdminRole } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { adminKey, enumName, errorText, keyvault, setAdminKey } from "./api";
import { link, navigate, usePath } from "./nav";
import { Approvals } from "./pages/approvals";
import { CallDetail, Calls } from "./pages/calls";
import { Keys } from "./pages/keys";
import { Playground, playgroundKeyItem, storedKey } from "./pages/playground";
import { Prompts } from "./pages/prompts";
import { Providers } from "./pages/providers";
import { RunDetail, Runs } from "./pages/runs";
import { SignIn } from "./pages/signin";
import { Usage } from "./pages/usage";

type PageDef = { path: string; title: string; page: FunctionComponent<{ id?: string; who: Principal }>; detail?: FunctionComponent<{ id: string }> };

const pages: PageDef[] = [
  { path: "/playground", title: "Playground", page: Playground },
  { path: "/providers", title: "Providers & routes", page: Providers },
  { path: "/keys", title: "Virtual keys", page: Keys },
  { path: "/prompts", title: "Prompts", page: Prompts },
  { path: "/usage", title: "Usage & cost", page: Usage },
  { path: "/calls", title: "Call log", page: Calls, detail: CallDetail },
  { path: "/runs", title: "Workflow runs", page: Runs, detail: RunDetail },
  { path: "/approvals", title: "Approvals", page: Approvals },
];

export function App() {
  const path = usePath();
  const [who, setWho] = useState<Principal | null>(null);
  const [restoring, setRestoring] = useState(adminKey() !== null);
  const [error, setError] = useState<string>();

  // A reload keeps the tab's session: check the stored key again.
  useEffect(() => {
    if (adminKey() === null) return;
    keyvault.whoAmI({}).then(
      (res) => {
        setWho(res.principal ?? null);
        setRestoring(false);
      },
      (e: unknown) => {
        setAdminKey(null);
        setError(errorText(e));
        setRestoring(false);
      },
    );
  }, []);

  if (restoring) return <p class="muted center">Signing in…</p>;
  if (who === null) return <SignIn error={error} onSignedIn={setWho} />;

  const signOut = async () => {
    // The playground's key dies with the session (best effort: it expires
    // within the hour anyway).
    const pk = storedKey();
    sessionStorage.removeItem(playgroundKeyItem);
    if (pk !== null) await keyvault.revokeVirtualKey({ keyId: pk.id, reason: "console sign-out" }).catch(() => {});
    setAdminKey(null);
    setWho(null);
    navigate("/");
  };
  const [, first = "", id] = path.split("/");
  const def = pages.find((p) => p.path === "/" + first);
  if (def === undefined) {
    queueMicrotask(() => navigate("/playground"));
    return null;
  }
  const Detail = id !== undefined && id !== "" ? def.detail : undefined;
  const Main = def.page;
  return (
    <div class="shell">
      <nav class="side">
        <div class="brand">Manifold</div>
        {pages.map((p) => (
          <a {...link(p.path)} class={p === def ? "active" : ""} aria-current={p === def ? "page" : undefined} data-testid={`nav-${p.path.slice(1)}`}>
            {p.title}
          </a>
        ))}
        <div class="who" data-testid="who">
          <div>{who.name || who.keyId}</div>
          <div class="muted">{enumName(AdminRole, who.role, "ADMIN_ROLE_")}</div>
          <button type="button" class="link" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </nav>
      <main>{Detail !== undefined && id !== undefined ? <Detail id={decodeURIComponent(id)} /> : <Main who={who} />}</main>
    </div>
  );
}
