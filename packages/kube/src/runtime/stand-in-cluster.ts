// Test support (not exported): the combined stand-in for the pod runtime. One loopback API server
// (`startPodStandIn`) serves pods/exec and pods/portforward for real (`StandInPodHost`), and
// every other request from a small object store: discovery of core/v1 and networking, get, list
// by labels and name, server-side apply and merge patch, create (Sandboxes), delete, a pod's
// log. A pod becomes Running and Ready as soon as it is applied (its main container started),
// and is gone at once when deleted. No watches (nothing waits here), no garbage collector, no
// admission.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PodStandIn, startPodStandIn } from '../exec/stand-in-pods.ts';
import type { Pod } from '../objects/kube-types.ts';
import { MAIN_CONTAINER } from '../objects/sandbox-pod.ts';
import type { KubeItem } from './object-api.ts';
import { StandInPodHost } from './stand-in-pod-host.ts';

type Stored = KubeItem & {
  metadata: NonNullable<KubeItem['metadata']> & { resourceVersion?: string };
  [key: string]: unknown;
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
const LOG_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/;

export type StandInCluster = {
  kubeconfig: string;
  objects: Map<string, Stored>;
  pods: StandInPodHost;
  standIn: PodStandIn;
  close(): Promise<void>;
};

export async function startStandInCluster(): Promise<StandInCluster> {
  const root = mkdtempSync(join(tmpdir(), 'paddock-stand-in-pods-'));
  const pods = new StandInPodHost(root);
  const objects = new Map<string, Stored>();
  let version = 1;

  const envOf = (pod: Pod): Record<string, string> => {
    const container = pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER);
    const env: Record<string, string> = {};
    for (const from of container?.envFrom ?? []) {
      const secret = objects.get(
        `/api/v1/namespaces/${pod.metadata?.namespace}/secrets/${from.secretRef?.name}`,
      );
      const data = (secret?.data ?? {}) as Record<string, string>;
      for (const [key, value] of Object.entries(data))
        env[key] = Buffer.from(value, 'base64').toString('utf8');
      const strings = (secret?.stringData ?? {}) as Record<string, string>;
      Object.assign(env, strings);
    }
    for (const variable of container?.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
    }
    return env;
  };

  const withStatus = (object: Stored): Stored => {
    if (object.kind !== 'Pod') return object;
    const pod = object as unknown as Pod;
    return {
      ...object,
      status: {
        phase: 'Running',
        startTime: pods.startedAt(pod),
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: pods.containerStatuses(pod),
      },
    };
  };

  const reply = (request: IncomingMessage, body: string): [number, unknown] => {
    const status = (code: number, reason: string): [number, unknown] => [
      code,
      { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: reason },
    ];
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    const discovered = DISCOVERY[path];
    if (request.method === 'GET' && discovered !== undefined)
      return [200, { resources: discovered.map((name) => ({ name })) }];
    if (path.startsWith('/apis/cilium.io')) return status(404, 'NotFound');
    const existing = objects.get(path);
    switch (request.method) {
      case 'GET': {
        if (existing !== undefined) return [200, withStatus(existing)];
        const items = list(objects, path, url.searchParams);
        if (items === undefined) return status(404, 'NotFound');
        return [
          200,
          { metadata: { resourceVersion: String(version) }, items: items.map(withStatus) },
        ];
      }
      case 'POST': {
        const object = JSON.parse(body) as Stored;
        const at = `${path}/${object.metadata.name}`;
        if (objects.has(at)) return status(409, 'AlreadyExists');
        object.metadata.uid = randomUUID();
        object.metadata.resourceVersion = String(++version);
        const namespace = /\/namespaces\/([^/]+)\//.exec(`${path}/`)?.[1];
        if (namespace !== undefined) object.metadata.namespace ??= namespace;
        objects.set(at, object);
        return [201, object];
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
        merged.metadata.resourceVersion = String(++version);
        objects.set(path, merged);
        if (merged.kind === 'Pod' && existing === undefined)
          pods.create(merged as unknown as Pod, envOf(merged as unknown as Pod));
        return [200, withStatus(merged)];
      }
      case 'DELETE': {
        if (existing === undefined) return status(404, 'NotFound');
        objects.delete(path);
        const [namespace, name] = [existing.metadata.namespace ?? '', existing.metadata.name ?? ''];
        if (existing.kind === 'Pod') pods.delete(namespace, name);
        if (existing.kind === 'PersistentVolumeClaim') pods.deleteClaim(namespace, name);
        return [200, { kind: 'Status', status: 'Success' }];
      }
      default:
        return status(405, 'MethodNotAllowed');
    }
  };

  const fallback = (request: IncomingMessage, response: ServerResponse) => {
    const logMatch = LOG_PATH.exec(new URL(request.url ?? '/', 'http://stand-in').pathname);
    if (request.method === 'GET' && logMatch !== null)
      return serveLog(pods, logMatch[1] ?? '', logMatch[2] ?? '', response);
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const [code, answer] = reply(request, body);
      response.writeHead(code, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  };

  const standIn = await startPodStandIn({
    pods: (namespace, name) => {
      const run = pods.runner(namespace, name);
      return run === undefined ? undefined : { namespace, name, containers: [MAIN_CONTAINER], run };
    },
    fallback,
  });
  return {
    kubeconfig: standIn.kubeconfig,
    objects,
    pods,
    standIn,
    close: async () => {
      pods.close();
      await standIn.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The main container's log: what it wrote so far, then more until it ends (`follow=true`). */
function serveLog(
  pods: StandInPodHost,
  namespace: string,
  name: string,
  response: ServerResponse,
): void {
  const log = pods.log(namespace, name);
  if (log === undefined) {
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }));
    return;
  }
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  let sent = 0;
  const pump = () => {
    const size = existsSync(log.path) ? statSync(log.path).size : 0;
    const isRunning = log.isRunning();
    const finish = () => (isRunning && !response.destroyed ? setTimeout(pump, 50) : response.end());
    if (size <= sent) return finish();
    const stream = createReadStream(log.path, { start: sent, end: size - 1 });
    sent = size;
    stream.on('data', (chunk) => response.write(chunk));
    stream.once('end', finish);
  };
  pump();
}

function list(
  objects: Map<string, Stored>,
  path: string,
  query: URLSearchParams,
): Stored[] | undefined {
  const match = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(path);
  if (match === null) return undefined;
  const [, group, namespace, plural] = match;
  const labels = (query.get('labelSelector') ?? '').split(',').filter((t) => t !== '');
  const name = query.get('fieldSelector')?.replace('metadata.name=', '');
  return [...objects.entries()]
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
