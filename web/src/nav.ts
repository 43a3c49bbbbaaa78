// A small router over the History API: the console's pages live at
// /console/<page>[/<id>], and the server answers every such path with
// index.html.
import { useEffect, useState } from "preact/hooks";

export const base = "/console";

export function currentPath(): string {
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : "/";
  return p === "" ? "/" : p;
}

export function navigate(path: string): void {
  history.pushState(null, "", base + path);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  return path;
}

// link props: a real href (open in a new tab works) that navigates in place.
export function link(path: string) {
  return {
    href: base + path,
    onClick: (e: MouseEvent) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
