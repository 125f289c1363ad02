// Test support (exported): a stand-in for the core reads of a Kubernetes API server, which the
// test API server (CRDs only) does not serve: Namespaces, Pods and Services (core/v1), Events
// (events.k8s.io/v1) and a pod's log, over plain http on the loopback interface, with a
// kubeconfig and a bearer token. Objects are added as the API server would hold them, each
// validated first against the official schema (kubernetes-models), so fixtures cannot drift
// from the wire format. Lists take a label selector, `limit` and `continue`; a pod's log takes
// `container` (required when the pod has several, as on a real server), `tailLines`,
// `limitBytes` and `follow=true` (the response stays open and carries what `appendLog` adds
// until the client goes or the stand-in closes), and answers `text/plain`. Errors are
// Kubernetes `Status` objects.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type StandInApi, startStandInApi } from './stand-in-api.ts';
import { StandInObjects, type StoredObject } from './stand-in-objects.ts';

export type CoreApiObject = StoredObject & { apiVersion: string; kind: string };

export type CoreApiStandIn = {
  kubeconfig: string;
  /** Stores objects (Namespace, Pod, Service, events.k8s.io Event) after checking each's schema. */
  add(...objects: CoreApiObject[]): Promise<void>;
  /** The log of a pod's container, as the kubelet would keep it. */
  setLog(namespace: string, pod: string, container: string, text: string): void;
  /** Adds to a container's log, and sends it to every `follow=true` reader of that log. */
  appendLog(namespace: string, pod: string, container: string, text: string): void;
  /** How many `follow=true` responses are open now (a client that went closes its own). */
  openFollows(): number;
  /** `METHOD path?query` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
};

const COLLECTIONS: Record<string, { collection: string; kind: string }> = {
  'v1/Pod': { collection: '/api/v1/pods', kind: 'Pod' },
  'v1/Service': { collection: '/api/v1/services', kind: 'Service' },
  'events.k8s.io/v1/Event': { collection: '/apis/events.k8s.io/v1/events', kind: 'Event' },
};
const LOG_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/;

function statusReply(response: ServerResponse, code: number, reason: string, message: string) {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(
    JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message }),
  );
}

async function validate(object: CoreApiObject): Promise<void> {
  const key = `${object.apiVersion}/${object.kind}`;
  if (key === 'v1/Namespace') {
    const { Namespace } = await import('kubernetes-models/v1');
    return new Namespace(object as never).validate();
  }
  if (key === 'v1/Pod') {
    const { Pod } = await import('kubernetes-models/v1');
    return new Pod(object as never).validate();
  }
  if (key === 'v1/Service') {
    const { Service } = await import('kubernetes-models/v1');
    return new Service(object as never).validate();
  }
  if (key === 'events.k8s.io/v1/Event') {
    const { Event } = await import('kubernetes-models/events.k8s.io/v1');
    return new Event(object as never).validate();
  }
  throw new Error(`the core API stand-in does not serve ${key}`);
}

export async function startCoreApiStandIn(): Promise<CoreApiStandIn> {
  const api: StandInApi = await startStandInApi();
  const objects = new StandInObjects(
    Object.values(COLLECTIONS).map((c) => c.collection),
    {
      clusterScoped: ['/api/v1/namespaces'],
      kinds: {
        ...Object.fromEntries(Object.values(COLLECTIONS).map((c) => [c.collection, c.kind])),
        '/api/v1/namespaces': 'Namespace',
      },
    },
  );
  const logs = new Map<string, string>();
  const followers = new Set<{ key: string; response: ServerResponse }>();
  const requests: string[] = [];

  const serveLog = (request: IncomingMessage, response: ServerResponse, match: string[]) => {
    const [namespace = '', name = ''] = match.slice(1).map(decodeURIComponent);
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const pod = objects.objects.get(`/api/v1/namespaces/${namespace}/pods/${name}`);
    if (pod === undefined)
      return statusReply(response, 404, 'NotFound', `pods "${name}" not found`);
    const containers = ((pod.spec as { containers?: { name: string }[] }).containers ?? []).map(
      (c) => c.name,
    );
    const container =
      url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined) {
      return statusReply(
        response,
        400,
        'BadRequest',
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    if (!containers.includes(container)) {
      return statusReply(
        response,
        400,
        'BadRequest',
        `container ${container} is not valid for pod ${name}`,
      );
    }
    let text = logs.get(`${namespace}/${name}/${container}`) ?? '';
    const tail = url.searchParams.get('tailLines');
    if (tail !== null) {
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      const kept = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
      text = kept.map((line) => `${line}\n`).join('');
    }
    const limit = url.searchParams.get('limitBytes');
    if (limit !== null) text = Buffer.from(text).subarray(0, Number(limit)).toString('utf8');
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    if (url.searchParams.get('follow') !== 'true') {
      response.end(text);
      return;
    }
    response.write(text);
    const key = `${namespace}/${name}/${container}`;
    const follower = { key, response };
    followers.add(follower);
    response.once('close', () => followers.delete(follower));
  };

  api.fallback = (request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (request.headers.authorization !== 'Bearer stand-in-token') {
      return statusReply(response, 401, 'Unauthorized', 'Unauthorized');
    }
    const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
    const log = LOG_PATH.exec(path);
    if (log !== null) {
      if (request.method !== 'GET') {
        return statusReply(
          response,
          405,
          'MethodNotAllowed',
          'the server does not allow this method',
        );
      }
      return serveLog(request, response, log as unknown as string[]);
    }
    objects.answer(request, response);
  };

  return {
    kubeconfig: api.kubeconfig,
    requests,
    add: async (...added) => {
      for (const object of added) {
        await validate(object);
        const namespace = object.metadata.namespace;
        const path =
          object.kind === 'Namespace'
            ? `/api/v1/namespaces/${object.metadata.name}`
            : `${(COLLECTIONS[`${object.apiVersion}/${object.kind}`]?.collection ?? '').replace(
                /\/([^/]+)$/,
                `/namespaces/${namespace}/$1`,
              )}/${object.metadata.name}`;
        objects.objects.set(path, {
          ...object,
          metadata: {
            uid: `uid-${object.metadata.name}`,
            resourceVersion: '1',
            creationTimestamp: new Date().toISOString(),
            ...object.metadata,
          },
        });
      }
    },
    setLog: (namespace, pod, container, text) => logs.set(`${namespace}/${pod}/${container}`, text),
    appendLog: (namespace, pod, container, text) => {
      const key = `${namespace}/${pod}/${container}`;
      logs.set(key, (logs.get(key) ?? '') + text);
      for (const follower of followers) if (follower.key === key) follower.response.write(text);
    },
    openFollows: () => followers.size,
    close: () => {
      for (const follower of followers) follower.response.end();
      return api.close();
    },
  };
}
