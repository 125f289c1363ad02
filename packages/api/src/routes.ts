import type { AnyRoute, HttpMethod, PathSegments } from './route.ts';
import { matchSegments, pathSegments } from './route.ts';
import { clusterRouteList } from './routes-cluster.ts';
import { credentialRouteList } from './routes-credentials.ts';
import { resourceRouteList } from './routes-resources.ts';
import { runRouteList } from './routes-runs.ts';
import { sandboxRouteList } from './routes-sandbox.ts';
import { systemRouteList } from './routes-system.ts';
import { templatePolicyRouteList } from './routes-templates-policy.ts';

/** Every operation of the REST API: resources of every kind, sandbox subresources, the rest. */
export const ROUTES: readonly AnyRoute[] = [
  ...resourceRouteList,
  ...sandboxRouteList,
  ...runRouteList,
  ...systemRouteList,
  ...templatePolicyRouteList,
  ...credentialRouteList,
  ...clusterRouteList,
];

const byId = new Map(ROUTES.map((route) => [route.operationId, route]));

export function routeById(operationId: string): AnyRoute | undefined {
  return byId.get(operationId);
}

export type RouteMatch = { route: AnyRoute; params: Record<string, string> };

/**
 * The route for a request. Literal segments win over parameters (`/files/list` is not a file
 * named `list`), so the most specific template is tried first. `undefined` with `allowed`
 * non-empty means the path exists but not for this method (405).
 */
export function matchRoute(
  method: string,
  pathname: string,
): { match: RouteMatch | undefined; allowed: HttpMethod[] } {
  const allowed: HttpMethod[] = [];
  let match: RouteMatch | undefined;
  const got = pathname.split('/');
  for (const { route, segments } of BY_LENGTH.get(got.length) ?? []) {
    const params = matchSegments(segments, got);
    if (!params) continue;
    if (route.method === method && !match) match = { route, params };
    if (!allowed.includes(route.method)) allowed.push(route.method);
  }
  return { match, allowed };
}

const literalSegments = (path: string) => path.split('/').filter((s) => !s.startsWith('{')).length;
const SPECIFIC_FIRST = [...ROUTES].sort(
  (a, b) => literalSegments(b.path) - literalSegments(a.path),
);
/** The routes split once, by their number of segments (a path matches only its own length). */
const BY_LENGTH = new Map<number, Array<{ route: AnyRoute; segments: PathSegments }>>();
for (const route of SPECIFIC_FIRST) {
  const segments = pathSegments(route.path);
  const routes = BY_LENGTH.get(segments.length) ?? [];
  routes.push({ route, segments });
  BY_LENGTH.set(segments.length, routes);
}
