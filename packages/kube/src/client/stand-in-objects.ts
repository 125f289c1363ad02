// Test support (not exported): a small object store behind the stand-in API server, kind-agnostic
// and keyed by path, with the Kubernetes semantics the clients under test rely on: create (409
// AlreadyExists), get, list by label selector with `limit` and `continue`, update with optimistic
// concurrency on resourceVersion (409 Conflict), delete with preconditions, 404 NotFound. Only
// the collections it is told to serve exist; any other path is 404, as on a server without them.
// Collections are namespaced (`/api/v1/secrets` serves `/api/v1/namespaces/<ns>/secrets`) unless
// named cluster-scoped (`/api/v1/namespaces` itself); lists answer `<Kind>List` when told the kind.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Answer } from './stand-in-api.ts';

export type StoredObject = {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
};

type Reply = [number, unknown];

const status = (code: number, reason: string, message = reason): Reply => [
  code,
  { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message },
];

/** `a=b`, `a==b`, `a!=b`, `a` (exists) and `!a` terms of a label selector, as the API server reads them. */
function matches(selector: string, labels: Record<string, string> = {}): boolean {
  return selector
    .split(',')
    .filter((term) => term !== '')
    .every((term) => {
      if (term.startsWith('!')) return labels[term.slice(1)] === undefined;
      const unequal = /^([^!=]+)!=(.*)$/.exec(term);
      if (unequal !== null) return labels[unequal[1] ?? ''] !== unequal[2];
      const [key = '', value] = term.split(/==?/);
      return value === undefined ? labels[key] !== undefined : labels[key] === value;
    });
}

export type StandInObjectsOptions = {
  /** Collections served at their own path, outside any namespace (`/api/v1/namespaces`). */
  clusterScoped?: string[];
  /** The kind of each collection's items (`/api/v1/pods` → `Pod`): lists answer `PodList`. */
  kinds?: Record<string, string>;
};

type Served = { pattern: RegExp; collection: string };

export class StandInObjects {
  /** Objects by path (`/api/v1/namespaces/<ns>/<plural>/<name>`). */
  readonly objects = new Map<string, StoredObject>();
  /** Every request as `METHOD path`, in order. */
  readonly requests: string[] = [];
  readonly #collections: Served[];
  readonly #kinds: Record<string, string>;
  #version = 1;

  /** Serves the namespaced collections named like `/api/v1/secrets` (in every namespace). */
  constructor(collections: string[], options: StandInObjectsOptions = {}) {
    this.#kinds = options.kinds ?? {};
    const namespaced = collections.map((collection): Served => {
      const slash = collection.lastIndexOf('/');
      const [prefix, plural] = [collection.slice(0, slash), collection.slice(slash + 1)];
      const pattern = new RegExp(`^${prefix}/namespaces/([a-z0-9-]+)/${plural}(?:/([^/]+))?$`);
      return { pattern, collection };
    });
    const cluster = (options.clusterScoped ?? []).map(
      (collection): Served => ({
        pattern: new RegExp(`^${collection}()(?:/([^/]+))?$`),
        collection,
      }),
    );
    this.#collections = [...namespaced, ...cluster];
  }

  answer: Answer = (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const [code, reply] = this.#reply(request, body);
      response.writeHead(code, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(reply));
    });
  };

  #reply(request: IncomingMessage, body: string): Reply {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    this.requests.push(`${request.method} ${url.pathname}`);
    let served: RegExpExecArray | null = null;
    let kind: string | undefined;
    for (const entry of this.#collections) {
      served = entry.pattern.exec(url.pathname);
      kind = this.#kinds[entry.collection];
      if (served !== null) break;
    }
    if (served === null) return status(404, 'NotFound', '404 page not found');
    const [, namespace = '', name] = served;
    const collection = name === undefined ? url.pathname : url.pathname.replace(/\/[^/]+$/, '');
    const existing = this.objects.get(url.pathname);
    switch (`${request.method} ${name === undefined ? 'collection' : 'object'}`) {
      case 'GET collection':
        return this.#list(collection, url.searchParams, kind);
      case 'GET object':
        return existing === undefined ? status(404, 'NotFound') : [200, existing];
      case 'POST collection': {
        const object = JSON.parse(body) as StoredObject;
        const path = `${collection}/${object.metadata.name}`;
        if (this.objects.has(path)) return status(409, 'AlreadyExists');
        return this.#store(path, object, namespace, undefined);
      }
      case 'PUT object': {
        if (existing === undefined) return status(404, 'NotFound');
        const object = JSON.parse(body) as StoredObject;
        const expected = object.metadata.resourceVersion;
        if (expected !== undefined && expected !== existing.metadata.resourceVersion) {
          return status(409, 'Conflict');
        }
        return this.#store(url.pathname, object, namespace, existing);
      }
      case 'DELETE object': {
        if (existing === undefined) return status(404, 'NotFound');
        const preconditions =
          body === ''
            ? {}
            : ((JSON.parse(body) as { preconditions?: { uid?: string; resourceVersion?: string } })
                .preconditions ?? {});
        if (
          (preconditions.uid !== undefined && preconditions.uid !== existing.metadata.uid) ||
          (preconditions.resourceVersion !== undefined &&
            preconditions.resourceVersion !== existing.metadata.resourceVersion)
        ) {
          return status(409, 'Conflict');
        }
        this.objects.delete(url.pathname);
        return [200, existing];
      }
      default:
        return status(405, 'MethodNotAllowed');
    }
  }

  #store(
    path: string,
    object: StoredObject,
    namespace: string,
    existing: StoredObject | undefined,
  ): Reply {
    const stored: StoredObject = {
      ...object,
      metadata: {
        ...object.metadata,
        ...(namespace === '' ? {} : { namespace }),
        uid: existing?.metadata.uid ?? randomUUID(),
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString(),
        resourceVersion: String(++this.#version),
      },
    };
    this.objects.set(path, stored);
    return [existing === undefined ? 201 : 200, stored];
  }

  #list(collection: string, query: URLSearchParams, kind: string | undefined): Reply {
    const selector = query.get('labelSelector') ?? '';
    const all = [...this.objects.entries()]
      .filter(
        ([path, object]) =>
          path.startsWith(`${collection}/`) &&
          !path.slice(collection.length + 1).includes('/') &&
          matches(selector, object.metadata.labels),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object);
    const from = Number(query.get('continue') ?? '0');
    const limit = Number(query.get('limit') ?? '0');
    const items = limit > 0 ? all.slice(from, from + limit) : all.slice(from);
    const next = limit > 0 && from + limit < all.length ? String(from + limit) : undefined;
    return [
      200,
      {
        apiVersion: collection.startsWith('/api/')
          ? 'v1'
          : collection.split('/').slice(2, 4).join('/'),
        kind: kind === undefined ? 'List' : `${kind}List`,
        metadata: {
          resourceVersion: String(this.#version),
          ...(next === undefined ? {} : { continue: next }),
        },
        items,
      },
    ];
  }
}
