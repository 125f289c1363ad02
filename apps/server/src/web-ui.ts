/**
 * Serves the built web UI (apps/web/dist) at `/`: files by path, `index.html` for every other
 * page path (the UI routes in the browser), long-lived caching for hashed assets only, and a
 * Content-Security-Policy that allows nothing but this origin. API paths are never served here.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` (run by scripts/setup.sh) puts the UI. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Paths that belong to the API and other listeners' protocols, never to the UI. */
const NOT_UI = /^\/(api|ws|healthz|readyz|metrics|gateway)(\/|$)/;

/** `connectSources`: other origins the UI calls (the OIDC provider, for "Sign in with SSO"). */
const csp = (connectSources: readonly string[]) =>
  [
    "default-src 'self'",
    ["connect-src 'self' ws: wss:", ...connectSources].join(' '),
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Paddock</title></head>
<body><main><h1>Paddock</h1><p>The web UI is not built. Run <code>./scripts/setup.sh</code>
(or <code>npm run build</code>) and reload. The API is up at <code>/api/v1</code>.</p></main></body></html>`;

/** A handler answering UI requests; returns false for requests that are not the UI's. */
export function createWebUi(dir: string, connectSources: readonly string[] = []) {
  const root = normalize(dir);
  const CSP = csp(connectSources);
  const index = join(root, 'index.html');
  return (req: IncomingMessage, res: ServerResponse, pathname: string): boolean => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_UI.test(pathname)) return false;
    const headers = {
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (!existsSync(index)) {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
      return true;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      decoded = '/';
    }
    let file = normalize(join(root, decoded));
    const isInside = file === root || file.startsWith(root + sep);
    const isFile = isInside && existsSync(file) && statSync(file).isFile();
    if (!isFile) file = index;
    const isHashed = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': isHashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
