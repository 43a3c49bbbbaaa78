// Sign-in: the admin key is checked with WhoAmI and kept in this tab's
// sessionStorage only.
import { useState } from "preact/hooks";
import type { Principal } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { PrincipalKind } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { errorText, keyvault, setAdminKey } from "../api";
import { ErrorBox } from "../ui";

export function SignIn({ error, onSignedIn }: { error?: string; onSignedIn: (p: Principal) => void }) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(error);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr(undefined);
    try {
      const res = await keyvault.whoAmI({}, { headers: { Authorization: `Bearer ${key.trim()}` } });
      if (res.principal?.kind !== PrincipalKind.ADMIN_KEY) {
        throw new Error("this is not an admin key: sign in with an admin key (virtual keys call models only)");
      }
      setAdminKey(key.trim());
      onSignedIn(res.principal);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="signin">
      <form class="card" onSubmit={submit} data-testid="signin">
        <h1>Manifold console</h1>
        <p class="muted">Sign in with an admin key. It stays in this browser tab only.</p>
        <label>
          Admin key
          <input type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} name="admin-key" data-testid="admin-key" required />
        </label>
        <ErrorBox error={err} />
        <button type="submit" disabled={busy || key.trim() === ""} data-testid="sign-in">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
