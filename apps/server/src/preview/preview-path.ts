import { ErrorCode, PaddockError } from '@paddock/core';

/** The query parameter that may carry a bearer token; it is never forwarded to the sandbox. */
export const PREVIEW_TOKEN_PARAM = 'paddock_token';

/** A request under `/api/v1/namespaces/{ns}/sandboxes/{name}/preview/{port}/…`. */
export type PreviewPath = {
  namespace: string;
  name: string;
  port: number;
  /** The path prefix up to and including the port (what the app is mounted under). */
  prefix: string;
  /** The rest of the path (starting with `/`) and the query, minus `paddock_token`. */
  upstreamPath: string;
  /** The path ended at the port: no trailing slash (HTTP answers with a redirect). */
  isBare: boolean;
};

const PREVIEW = /^\/api\/v1\/namespaces\/([^/]+)\/sandboxes\/([^/]+)\/preview\/([^/]+)(\/.*)?$/;

/**
 * Parses a preview path. `pathname` is the URL parser's normalised path (`..` and `.` segments
 * already resolved), so whatever follows the port cannot climb out of it: it is only ever the
 * request path sent to that port. Undefined when the path is not a preview path; a port that is
 * not 1-65535 is `not_found`.
 */
export function parsePreviewPath(url: URL): PreviewPath | undefined {
  const m = PREVIEW.exec(url.pathname);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  let namespace: string;
  let name: string;
  try {
    namespace = decodeURIComponent(m[1]);
    name = decodeURIComponent(m[2]);
  } catch {
    return undefined;
  }
  const port = /^\d{1,5}$/.test(m[3]) ? Number(m[3]) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new PaddockError(ErrorCode.NotFound, `no preview port ${m[3]}: ports are 1-65535`);
  }
  const search = new URLSearchParams(url.search);
  search.delete(PREVIEW_TOKEN_PARAM);
  const query = search.size > 0 ? `?${search}` : '';
  return {
    namespace,
    name,
    port,
    prefix: `/api/v1/namespaces/${m[1]}/sandboxes/${m[2]}/preview/${port}`,
    upstreamPath: `${m[4] ?? '/'}${query}`,
    isBare: m[4] === undefined,
  };
}
