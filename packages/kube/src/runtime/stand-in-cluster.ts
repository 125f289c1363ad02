// Test support (not exported): the combined stand-in for the pod runtime. One loopback API server
// (`startPodStandIn`) serves pods/exec and pods/portforward for real (`StandInPodHost`), a pod's
// log, and every other request from the object store (`StandInStore`). A pod becomes Running
// and Ready as soon as it is applied (its main container started), and is gone at once when
// deleted. No watches (nothing waits here), no garbage collector, no admission.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GoneClient } from '../exec/stand-in-exec.ts';
import { type PodStandIn, startPodStandIn } from '../exec/stand-in-pods.ts';
import type { Pod } from '../objects/kube-types.ts';
import { MAIN_CONTAINER } from '../objects/sandbox-pod.ts';
import { type StandInImage, StandInPodHost } from './stand-in-pod-host.ts';
import { StandInStore, type Stored } from './stand-in-store.ts';

const LOG_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/;

export type StandInCluster = {
  kubeconfig: string;
  objects: Map<string, Stored>;
  pods: StandInPodHost;
  standIn: PodStandIn;
  close(): Promise<void>;
};

export type StandInClusterOptions = {
  /** What init containers' images stand for on this machine (none: such a pod never starts). */
  images?: Readonly<Record<string, StandInImage>>;
  /** Where the pods' directories go (default: the system's temporary directory). */
  tmpdir?: string;
  /** What a client going away does to its exec's pipes (see `GoneClient`). */
  goneClient?: GoneClient;
};

export async function startStandInCluster(
  options: StandInClusterOptions = {},
): Promise<StandInCluster> {
  const root = mkdtempSync(join(options.tmpdir ?? tmpdir(), 'paddock-stand-in-pods-'));
  const pods = new StandInPodHost(root, options.images);
  const envOf = (pod: Pod): Record<string, string> => {
    const container = pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER);
    const env: Record<string, string> = {};
    for (const from of container?.envFrom ?? []) {
      const secret = store.objects.get(
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

  const store = new StandInStore({
    withStatus: (object) => {
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
    },
    created: (object) => {
      if (object.kind === 'Pod')
        pods.create(object as unknown as Pod, envOf(object as unknown as Pod));
    },
    deleted: (object) => {
      const [namespace, name] = [object.metadata.namespace ?? '', object.metadata.name ?? ''];
      if (object.kind === 'Pod') pods.delete(namespace, name);
      if (object.kind === 'PersistentVolumeClaim') pods.deleteClaim(namespace, name);
    },
  });

  const fallback = (request: IncomingMessage, response: ServerResponse) => {
    const logMatch = LOG_PATH.exec(new URL(request.url ?? '/', 'http://stand-in').pathname);
    if (request.method === 'GET' && logMatch !== null)
      return serveLog(pods, logMatch[1] ?? '', logMatch[2] ?? '', response);
    store.answer(request, response);
  };

  const standIn = await startPodStandIn({
    pods: (namespace, name) => {
      const run = pods.runner(namespace, name);
      return run === undefined ? undefined : { namespace, name, containers: [MAIN_CONTAINER], run };
    },
    fallback,
    ...(options.goneClient === undefined ? {} : { goneClient: options.goneClient }),
  });
  return {
    kubeconfig: standIn.kubeconfig,
    objects: store.objects,
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
  // Headers now, as the API server sends them, not with the first line (which may be long in coming).
  response.flushHeaders();
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
