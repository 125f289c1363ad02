import { ErrorCode, PaddockError } from '@paddock/core';
import type { PreviewScope } from './preview-token.ts';

/** The query parameter carrying a signed preview token; it is never forwarded to the sandbox. */
export const PREVIEW_TOKEN_PARAM = 'paddock_preview';

/** The parent domain of per-sandbox preview hosts: browsers resolve `*.localhost` to loopback. */
export const PREVIEW_DOMAIN = 'preview.localhost';

/** A request on the preview listener, by host (`{port}--{name}--{ns}.preview.localhost`) or path. */
export type PreviewPath = PreviewScope & {
  /** Where the app is mounted: empty on its own host, `/preview/{ns}/{name}/{port}` by path. */
  prefix: string;
  /** The path below the mount (starting with `/`) and the query, minus `paddock_preview`. */
  upstreamPath: string;
  /** The path ended at the port: no trailing slash (HTTP answers with a redirect). */
  isBare: boolean;
  /** The `paddock_preview` query parameter, when given. */
  token: string | undefined;
};

const PATH = /^\/preview\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/;
const LABEL = /^(\d{1,5})--([a-z0-9]+(?:-[a-z0-9]+)*)--([a-z0-9]+(?:-[a-z0-9]+)*)$/;

/**
 * The host label of a sandbox port, `{port}--{name}--{namespace}`; undefined when the names
 * cannot be told apart in it (a name containing `--`) or it exceeds a DNS label (63
 * characters): such a port is only reachable by path.
 */
export function previewHostLabel(scope: Omit<PreviewScope, 'mode'>): string | undefined {
  const label = `${scope.port}--${scope.name}--${scope.namespace}`;
  return label.length <= 63 && LABEL.test(label) ? label : undefined;
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new PaddockError(ErrorCode.NotFound, `no preview port ${text}: ports are 1-65535`);
  }
  return port;
}

function cleanQuery(url: URL): { query: string; token: string | undefined } {
  const search = new URLSearchParams(url.search);
  const token = search.get(PREVIEW_TOKEN_PARAM) ?? undefined;
  search.delete(PREVIEW_TOKEN_PARAM);
  return { query: search.size > 0 ? `?${search}` : '', token };
}

/**
 * Parses a request on the preview listener. `host` is the `Host` header; `url.pathname` is the
 * URL parser's normalised path (`..` and `.` segments already resolved), so whatever follows
 * the mount cannot climb out of it: it is only ever the request path sent to that port.
 * Undefined when the request is not a preview (the listener answers 404); a host under
 * `preview.localhost` that names no port, or a port outside 1-65535, is `not_found`.
 */
export function parsePreviewPath(url: URL, host: string | undefined): PreviewPath | undefined {
  const { query, token } = cleanQuery(url);
  const hostname = (host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (hostname.endsWith(`.${PREVIEW_DOMAIN}`)) {
    const m = LABEL.exec(hostname.slice(0, -PREVIEW_DOMAIN.length - 1));
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `${hostname} is not a preview host: expected {port}--{name}--{namespace}.${PREVIEW_DOMAIN}`,
      );
    }
    return {
      namespace: m[3],
      name: m[2],
      port: parsePort(m[1]),
      mode: 'host',
      prefix: '',
      upstreamPath: `${url.pathname}${query}`,
      isBare: false,
      token,
    };
  }
  const m = PATH.exec(url.pathname);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  let namespace: string;
  let name: string;
  try {
    namespace = decodeURIComponent(m[1]);
    name = decodeURIComponent(m[2]);
  } catch {
    return undefined;
  }
  const port = parsePort(m[3]);
  return {
    namespace,
    name,
    port,
    mode: 'path',
    prefix: `/preview/${m[1]}/${m[2]}/${port}`,
    upstreamPath: `${m[4] ?? '/'}${query}`,
    isBare: m[4] === undefined,
    token,
  };
}
