// Test support (not exported): the object store behind the pod runtime's stand-ins, keyed by path:
// discovery of core/v1 and networking, get, list by labels and name (in a namespace or all),
// server-side apply and merge patch (409 on a stale resourceVersion), create (409
// AlreadyExists), delete, 404 NotFound. Hooks let a caller give pods a status and run them.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Answer } from '../client/stand-in-api.ts';
import type { KubeItem } from './object-api.ts';

export type Stored = KubeItem & {
  metadata: NonNullable<KubeItem['metadata']> & { resourceVersion?: string };
  [key: string]: unknown;
};

export type StandInStoreHooks = {
  /** The object as reads and writes answer it (a pod with its status); stored as written. */
  withStatus?(object: Stored): Stored;
  /** After a write created `object`. */
  created?(object: Stored): void;
  /** After `object` was deleted. */
  deleted?(object: Stored): void;
};

const DISCOVERY: Record<string, string[]> = {
  '/api/v1': [
    'pods',
    'configmaps',
    'persistentvolumeclaims',
    'secrets',
    'serviceaccounts',
    'services',
  ],
  '/apis/networking.k8s.io/v1': ['networkpolicies'],
};

type Reply = [number, unknown];

const status = (code: number, reason: string): Reply => [
  code,
  { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: reason },
];

export class StandInStore {
  /** Objects by path (`/api/v1/namespaces/<ns>/<plural>/<name>`). */
  readonly objects = new Map<string, Stored>();
  readonly #hooks: StandInStoreHooks;
  #version = 1;

  constructor(hooks: StandInStoreHooks = {}) {
    this.#hooks = hooks;
  }

  answer: Answer = (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const [code, answer] = this.#reply(request, body);
      response.writeHead(code, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  };

  #reply(request: IncomingMessage, body: string): Reply {
    const withStatus = (object: Stored) => this.#hooks.withStatus?.(object) ?? object;
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    const discovered = DISCOVERY[path];
    if (request.method === 'GET' && discovered !== undefined)
      return [200, { resources: discovered.map((name) => ({ name })) }];
    if (path.startsWith('/apis/cilium.io')) return status(404, 'NotFound');
    const existing = this.objects.get(path);
    switch (request.method) {
      case 'GET': {
        if (existing !== undefined) return [200, withStatus(existing)];
        const items = this.#list(path, url.searchParams);
        if (items === undefined) return status(404, 'NotFound');
        return [
          200,
          { metadata: { resourceVersion: String(this.#version) }, items: items.map(withStatus) },
        ];
      }
      case 'POST': {
        const object = JSON.parse(body) as Stored;
        const at = `${path}/${object.metadata.name}`;
        if (this.objects.has(at)) return status(409, 'AlreadyExists');
        object.metadata.uid = randomUUID();
        object.metadata.resourceVersion = String(++this.#version);
        const namespace = /\/namespaces\/([^/]+)\//.exec(`${path}/`)?.[1];
        if (namespace !== undefined) object.metadata.namespace ??= namespace;
        this.objects.set(at, object);
        this.#hooks.created?.(object);
        return [201, withStatus(object)];
      }
      case 'PATCH': {
        const patch = JSON.parse(body) as Stored;
        const isApply = request.headers['content-type']?.includes('apply-patch') === true;
        if (!isApply && existing === undefined) return status(404, 'NotFound');
        const precondition = patch.metadata?.resourceVersion;
        if (
          !isApply &&
          precondition !== undefined &&
          precondition !== existing?.metadata.resourceVersion
        )
          return status(409, 'Conflict');
        const merged = (isApply ? { ...patch } : merge(existing, patch)) as Stored;
        merged.metadata.uid = existing?.metadata.uid ?? randomUUID();
        merged.metadata.resourceVersion = String(++this.#version);
        this.objects.set(path, merged);
        if (existing === undefined) this.#hooks.created?.(merged);
        return [200, withStatus(merged)];
      }
      case 'DELETE': {
        if (existing === undefined) return status(404, 'NotFound');
        this.objects.delete(path);
        this.#hooks.deleted?.(existing);
        return [200, { kind: 'Status', status: 'Success' }];
      }
      default:
        return status(405, 'MethodNotAllowed');
    }
  }

  /** The items of a collection path (`…/namespaces/<ns>/<plural>` or `…/<plural>`), if it is one. */
  #list(path: string, query: URLSearchParams): Stored[] | undefined {
    const match = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(
      path,
    );
    if (match === null) return undefined;
    const [, group, namespace, plural] = match;
    const labels = (query.get('labelSelector') ?? '').split(',').filter((t) => t !== '');
    const name = query.get('fieldSelector')?.replace('metadata.name=', '');
    return [...this.objects.entries()]
      .filter(([key]) => {
        const parts = /^(.*?)\/namespaces\/([^/]+)\/([a-z]+)\/[^/]+$/.exec(key);
        return (
          parts !== null &&
          parts[1] === group &&
          parts[3] === plural &&
          (namespace === undefined || parts[2] === namespace)
        );
      })
      .map(([, object]) => object)
      .filter((object) => name === undefined || object.metadata.name === name)
      .filter((object) =>
        labels.every((term) => {
          const [key = '', value] = term.split('=');
          const actual = object.metadata.labels?.[key];
          return value === undefined ? actual !== undefined : actual === value;
        }),
      );
  }
}

/** A JSON merge patch (RFC 7386): `null` removes, objects merge, anything else replaces. */
function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}
