import { useEffect, useState } from 'react';

/** The current path (`location.pathname`), re-rendered on navigation. */
export function usePathname(): string {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener('paddock:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('paddock:navigate', update);
    };
  }, []);
  return path;
}

/** Goes to `path` without a page load. */
export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event('paddock:navigate'));
  window.scrollTo(0, 0);
}

/** Matches `/sandboxes/:name` against a path; the named parts, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}
