// Test support (not exported): the runtime contract makes up sandbox refs, but a pod's objects
// must be owned by a Sandbox that exists (the API server gives it its uid; the garbage collector
// deletes what an unknown uid owns). `SandboxOwners` creates the Sandbox (and its namespace)
// before the first provision of a ref, and translates the contract's uid to the Sandbox's in
// every call and back in `list`. A ref whose name is taken by another uid is passed on unchanged,
// so the runtime answers it as it would any stranger (`conflict`, `absent`, …).
import type {
  ExecRequest,
  ProvisionRequest,
  SandboxFiles,
  SandboxRef,
  SandboxRuntime,
} from '@paddock/core';
import { isPaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';

const keyOf = (ref: SandboxRef) => `${ref.namespace}/${ref.name}/${ref.uid}`;

export class SandboxOwners {
  readonly #client: KubeClient;
  readonly #real = new Map<string, string>();
  readonly #namespaces = new Set<string>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /** The namespaces it created, for the caller to delete. */
  get namespaces(): string[] {
    return [...this.#namespaces];
  }

  wrap(runtime: SandboxRuntime): SandboxRuntime {
    const real = (ref: SandboxRef): SandboxRef => ({
      ...ref,
      uid: this.#real.get(keyOf(ref)) ?? ref.uid,
    });
    const files = runtime.files;
    const mapped: SandboxFiles = {
      read: (ref, path) => files.read(real(ref), path),
      readStream: (ref, path) => files.readStream(real(ref), path),
      write: (ref, path, data, options) => files.write(real(ref), path, data, options),
      list: (ref, path) => files.list(real(ref), path),
      stat: (ref, path) => files.stat(real(ref), path),
      mkdir: (ref, path) => files.mkdir(real(ref), path),
      move: (ref, from, to) => files.move(real(ref), from, to),
      remove: (ref, path, options) => files.remove(real(ref), path, options),
      upload: (ref, path, tar) => files.upload(real(ref), path, tar),
      download: (ref, path) => files.download(real(ref), path),
    };
    return {
      name: runtime.name,
      files: mapped,
      provision: async (request: ProvisionRequest) => {
        await this.#own(request);
        return runtime.provision({ ...request, uid: real(request).uid });
      },
      observe: (ref) => runtime.observe(real(ref)),
      stop: (ref) => runtime.stop(real(ref)),
      start: (ref) => runtime.start(real(ref)),
      destroy: async (ref) => {
        await runtime.destroy(real(ref));
        const uid = this.#real.get(keyOf(ref));
        if (uid === undefined) return;
        this.#real.delete(keyOf(ref));
        await this.#client
          .request(
            'DELETE',
            `/apis/paddock.dev/v1alpha1/namespaces/${ref.namespace}/sandboxes/${ref.name}`,
          )
          .catch(() => {});
      },
      list: async () => {
        const back = new Map(
          [...this.#real].map(([key, uid]) => [uid, key.slice(key.lastIndexOf('/') + 1)]),
        );
        return (await runtime.list()).map((ref) => ({ ...ref, uid: back.get(ref.uid) ?? ref.uid }));
      },
      exec: (ref, request: ExecRequest) => runtime.exec(real(ref), request),
      listProcesses: (ref) => runtime.listProcesses(real(ref)),
      attach: (ref, id) => runtime.attach(real(ref), id),
      connectPort: (ref, port) => runtime.connectPort(real(ref), port),
    };
  }

  async #own(ref: SandboxRef): Promise<void> {
    if (this.#real.has(keyOf(ref))) return;
    if (!this.#namespaces.has(ref.namespace)) {
      await this.#client
        .request('POST', '/api/v1/namespaces', {
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ref.namespace } },
        })
        .catch((error: unknown) => {
          if (!isPaddockError(error, 'already_exists')) throw error;
        });
      this.#namespaces.add(ref.namespace);
    }
    try {
      const sandbox = await this.#client.request<{ metadata?: { uid?: string } }>(
        'POST',
        `/apis/paddock.dev/v1alpha1/namespaces/${ref.namespace}/sandboxes`,
        {
          body: {
            apiVersion: 'paddock.dev/v1alpha1',
            kind: 'Sandbox',
            metadata: { name: ref.name, namespace: ref.namespace },
            spec: {
              templateRef: { kind: 'ClusterSandboxTemplate', name: 'contract' },
              desiredState: 'Running',
            },
          },
        },
      );
      if (sandbox.metadata?.uid !== undefined) this.#real.set(keyOf(ref), sandbox.metadata.uid);
    } catch (error) {
      if (!isPaddockError(error, 'already_exists')) throw error;
    }
  }
}
