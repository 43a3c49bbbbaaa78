// Building blocks shared by the pages: loading a call's result with its
// error shown in the page, tables, empty states.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { errorText } from "./api";

export type Loaded<T> = {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
};

// useLoad runs load on mount, when deps change and on reload(), keeping
// the last data while a reload is under way.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

// useAction wraps a button's call: busy while it runs, its error kept.
export function useAction(): [boolean, string | undefined, (f: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, run];
}

export function ErrorBox({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-testid="error">
      {error}
    </div>
  );
}

export function Page({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page">
      <header class="page-head">
        <h1>{title}</h1>
        <div class="actions">{actions}</div>
      </header>
      {children}
    </section>
  );
}

export function Section({ title, children, testid }: { title: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class="card" data-testid={testid}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

// Status renders the loading and error states of a load, or its content.
export function Status<T>({ l, empty, children }: { l: Loaded<T>; empty?: (d: T) => boolean; children: (d: T) => ComponentChildren }) {
  if (l.data === undefined) {
    return l.error ? <ErrorBox error={l.error} /> : <p class="muted">Loading…</p>;
  }
  return (
    <>
      <ErrorBox error={l.error} />
      {empty?.(l.data) ? <p class="empty muted">Nothing here yet.</p> : children(l.data)}
    </>
  );
}

export function Badge({ text, tone }: { text: string; tone?: "ok" | "warn" | "bad" | "info" }) {
  return <span class={`badge ${tone ?? ""}`}>{text}</span>;
}

export function Refresh({ l }: { l: { reload: () => void; loading: boolean } }) {
  return (
    <button type="button" class="secondary" onClick={l.reload} disabled={l.loading} data-testid="refresh">
      {l.loading ? "Loading…" : "Refresh"}
    </button>
  );
}
