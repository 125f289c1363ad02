/**
 * The SandboxRuntime seam on Kubernetes pods (`kubernetes`), lifecycle half: a sandbox is the
 * instance the object builders make (pod, workspace claim, service account, policies, egress
 * proxy, port Services), owned by its Sandbox, plus the request's Secrets and a state ConfigMap
 * (`runtime-state.ts`) from which `start` makes the pod again. `stop` deletes the pods and keeps
 * the rest; `destroy` deletes every object of the instance. Processes, ports and files go through
 * the API server's exec and port-forward subresources (`pod-sessions.ts`).
 *
 * Warm pools: the control plane's generic pool provisions entries under the runtime namespace
 * `paddock-warm`, naming their template. Here an entry is a warm instance in the template's
 * namespace, owned by the template (`warm-entry.ts`); `claim` re-owns it by the claimant Sandbox,
 * pod first with a compare-and-swap, and returns the ref `<namespace>/<instance>/<Sandbox uid>`
 * that every later call uses. Entries of a ClusterSandboxTemplate are refused.
 */
import {
  type DuplexStream,
  ErrorCode,
  type ExecRequest,
  PaddockError,
  type ProcessHandle,
  type ProcessInfo,
  type ProvisionRequest,
  type RuntimeObservation,
  type SandboxEnvironment,
  type SandboxFiles,
  type SandboxRef,
  type SandboxRuntime,
  TemplateRef,
} from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { ConfigMap, Pod } from '../objects/kube-types.ts';
import { COMPONENT, Component, labelKeys, MANAGED_BY, RUN_LABEL } from '../objects/labels.ts';
import {
  type ObjectOptions,
  resolveObjectOptions,
  type ServiceEndpoint,
} from '../objects/options.ts';
import { instanceObjects } from '../objects/sandbox-objects.ts';
import { ActivityLog } from './activity.ts';
import { ApiDiscovery } from './api-discovery.ts';
import { apiResource, INSTANCE_RESOURCES } from './api-paths.ts';
import { instancePods, provisionPlan } from './instance-plan.ts';
import { instanceFromRef, instanceName, ownerRefOf, sandboxOwnerUid } from './instance-ref.ts';
import { type KubeItem, ObjectApi } from './object-api.ts';
import { isPodReady, observePod, podFailure } from './pod-observation.ts';
import { PodSessions } from './pod-sessions.ts';
import { waitForPod } from './pod-wait.ts';
import { checkInputs, runtimeInputs } from './runtime-inputs.ts';
import {
  isStopped,
  type RuntimeStateData,
  readState,
  stateConfigMap,
  stateName,
  stoppedAnnotation,
} from './runtime-state.ts';
import { WarmEntries } from './warm-entries.ts';
import { refOfOwned, WARM_NAMESPACE } from './warm-entry.ts';

const POD = apiResource('v1', 'Pod');
const CONFIG_MAP = apiResource('v1', 'ConfigMap');
const CLAIM = apiResource('v1', 'PersistentVolumeClaim');
const SANDBOXES = { apiVersion: 'paddock.dev/v1alpha1', plural: 'sandboxes' } as const;

export type PodRuntimeOptions = {
  /** The cluster facts the builders need (`resolveObjectOptions`); the defaults when absent. */
  objects?: ObjectOptions;
  /**
   * Resolves `network.allowedServices` (`namespace/name`) to the pods a policy may allow. Without
   * it, a sandbox that lists services is refused (`runtime_unavailable`) rather than cut off.
   */
  resolveServices?: (
    namespace: string,
    environment: SandboxEnvironment,
  ) => Promise<readonly ServiceEndpoint[]>;
  /** How long provision and start wait for the pod to be Ready (default 120 s: image pulls). */
  readyTimeoutMs?: number;
  /** How long stop and destroy wait for the pods to be gone (default 60 s). */
  goneTimeoutMs?: number;
  /** Server-side apply field manager (default `paddock-controller`). */
  fieldManager?: string;
};

export class PodRuntime implements SandboxRuntime {
  readonly name = 'kubernetes';
  readonly files: SandboxFiles;
  readonly #client: KubeClient;
  readonly #api: ObjectApi;
  readonly #discovery: ApiDiscovery;
  readonly #options: ObjectOptions;
  readonly #resolveServices: PodRuntimeOptions['resolveServices'];
  readonly #readyTimeoutMs: number;
  readonly #goneTimeoutMs: number;
  readonly #warm: WarmEntries;
  readonly #activity: ActivityLog;
  readonly #sessions: PodSessions;

  constructor(client: KubeClient, options: PodRuntimeOptions = {}) {
    this.#client = client;
    this.#api = new ObjectApi(client, options.fieldManager);
    this.#discovery = new ApiDiscovery(client);
    this.#options = options.objects ?? resolveObjectOptions();
    this.#resolveServices = options.resolveServices;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
    this.#goneTimeoutMs = options.goneTimeoutMs ?? 60_000;
    this.#warm = new WarmEntries({
      client,
      api: this.#api,
      discovery: this.#discovery,
      options: this.#options,
      services: (namespace, environment) => this.#services(namespace, environment),
      readyTimeoutMs: this.#readyTimeoutMs,
      goneTimeoutMs: this.#goneTimeoutMs,
    });
    this.#activity = new ActivityLog(this.#api, this.#options.labelPrefix);
    this.#sessions = new PodSessions(client, this.#api, this.#discovery, this.#activity);
    this.files = this.#sessions.files;
  }

  /**
   * Applies every object of the sandbox (server-side apply, dependency order) and waits until its
   * pod is Ready (`timeout` after `readyTimeoutMs`; a retry waits again). Idempotent: an existing
   * pod of this uid is only waited for, a sandbox stopped on purpose stays stopped. `conflict` for
   * a sandbox of that name with another uid; `sandbox_not_found` when no Sandbox of this uid
   * exists to own the objects; `runtime_unavailable` when the server cannot run pods.
   * A warm-pool entry (`request.warmPool`) is provisioned in its template's namespace, owned by
   * the template (`WarmEntries.provision`).
   */
  async provision(request: ProvisionRequest): Promise<RuntimeObservation> {
    if (request.warmPool !== undefined)
      return this.#warm.provision({ ...request, warmPool: request.warmPool });
    refuseWarm(request);
    const env = request.env ?? {};
    const readOnlyFiles = request.readOnlyFiles ?? [];
    checkInputs(request.spec, env, readOnlyFiles);
    await this.#discovery.require([POD, CONFIG_MAP, CLAIM]);
    const name = instanceName(request);
    const pod = await this.#api.get<Pod>(POD, request.namespace, name);
    if (pod !== undefined) {
      this.#checkOwner(pod, request);
      return this.#untilReady(request);
    }
    const state = await this.#api.get<ConfigMap>(CONFIG_MAP, request.namespace, stateName(name));
    if (state !== undefined) {
      this.#checkOwner(state, request);
      if (isStopped(state, this.#options)) return this.observe(request);
    }
    const { templateRef, run } = await this.#sandboxOf(request);
    const instance = instanceFromRef(
      request,
      request.spec,
      templateRef,
      this.#options,
      request.name,
      run,
    );
    const services = await this.#services(request.namespace, request.spec);
    const objects = instanceObjects(instance, request.spec, this.#options, services);
    const { secrets, layout } = runtimeInputs(instance, request.spec, env, readOnlyFiles);
    const data: RuntimeStateData = {
      environment: request.spec,
      templateRef,
      inputs: layout,
      ...(run === undefined ? {} : { run }),
    };
    const plan = provisionPlan(objects, request.spec, this.#options, {
      state: stateConfigMap(instance, data),
      secrets,
      layout,
      sandboxName: request.name,
    });
    await this.#discovery.require(plan.map((o) => apiResource(o.apiVersion, o.kind)));
    for (const object of plan) await this.#api.apply(object);
    return this.#untilReady(request);
  }

  /** The sandbox's pod (Ready, failing, on its way) or its kept workspace; `absent` otherwise. */
  async observe(ref: SandboxRef): Promise<RuntimeObservation> {
    if (ref.namespace === WARM_NAMESPACE) return this.#warm.observe(ref);
    await this.#discovery.require([POD, CLAIM]);
    const pod = await this.#api.get<Pod>(POD, ref.namespace, instanceName(ref));
    if (pod !== undefined && sandboxOwnerUid(pod) === ref.uid) {
      const observed = observePod(pod, true);
      const lastActivityAt = await this.#activity.last(ref);
      return lastActivityAt === undefined ? observed : { ...observed, lastActivityAt };
    }
    const claims = await this.#owned(CLAIM, ref, Component.Workspace);
    return observePod(undefined, claims.length > 0);
  }

  /** Deletes the sandbox's pods (its egress proxy's too) and waits until they are gone. */
  async stop(ref: SandboxRef): Promise<RuntimeObservation> {
    refuseWarm(ref);
    await this.#discovery.require([POD, CONFIG_MAP, CLAIM]);
    const state = await this.#state(ref);
    const pods = await this.#owned(POD, ref);
    if (state === undefined && pods.length === 0) throw notFound(ref);
    if (pods.length > 0) await this.#sessions.recordForStop(ref);
    if (state !== undefined) {
      await this.#api.mergePatch(CONFIG_MAP, ref.namespace, stateName(instanceName(ref)), {
        metadata: { annotations: { [stoppedAnnotation(this.#options)]: 'true' } },
      });
    }
    await this.#deleteAndWait(pods, ref);
    return this.observe(ref);
  }

  /** Makes the pods again from the kept state and waits until the sandbox pod is Ready. */
  async start(ref: SandboxRef): Promise<RuntimeObservation> {
    refuseWarm(ref);
    await this.#discovery.require([POD, CONFIG_MAP, CLAIM]);
    const state = await this.#state(ref);
    if (state === undefined) throw notFound(ref);
    const data = readState(state);
    const name = instanceName(ref);
    // A claimed warm instance is named after its entry, not after its Sandbox.
    const sandboxName = ownerRefOf(state)?.name ?? ref.name;
    const current = await this.#api.get<Pod>(POD, ref.namespace, name);
    if (current?.metadata?.deletionTimestamp !== undefined) {
      await this.#untilGone(ref.namespace, name);
    }
    const instance = instanceFromRef(
      ref,
      data.environment,
      data.templateRef,
      this.#options,
      sandboxName,
      data.run,
    );
    const services = await this.#services(ref.namespace, data.environment);
    const objects = instanceObjects(instance, data.environment, this.#options, services);
    for (const pod of instancePods(objects, data.inputs)) {
      const existing = await this.#api.get<Pod>(POD, ref.namespace, pod.metadata?.name ?? '');
      if (existing === undefined || existing.metadata?.deletionTimestamp !== undefined) {
        if (existing !== undefined) await this.#untilGone(ref.namespace, pod.metadata?.name ?? '');
        await this.#api.apply(pod);
      }
    }
    await this.#api.mergePatch(CONFIG_MAP, ref.namespace, stateName(name), {
      metadata: { annotations: { [stoppedAnnotation(this.#options)]: null } },
    });
    const observed = await this.#untilReady(ref);
    await this.#sessions.forgetStopped(ref);
    return observed;
  }

  /**
   * Deletes every object of the instance that this Sandbox uid owns (foreground) and waits until
   * its pods are gone. Idempotent; nothing to delete is no error.
   */
  async destroy(ref: SandboxRef): Promise<void> {
    if (ref.namespace === WARM_NAMESPACE) return this.#warm.destroy(ref);
    let pods: KubeItem[] = [];
    for (const resource of [...INSTANCE_RESOURCES].reverse()) {
      if (!(await this.#discovery.isServed(resource))) continue;
      const items = await this.#owned(resource, ref);
      for (const item of items) {
        await this.#api.delete(
          resource,
          ref.namespace,
          item.metadata?.name ?? '',
          item.metadata?.uid ?? '',
        );
      }
      if (resource.kind === 'Pod') pods = items;
    }
    for (const pod of pods) await this.#untilGone(ref.namespace, pod.metadata?.name ?? '');
  }

  /**
   * Hands a warm-pool entry to the Sandbox `claimant` (same namespace; `validation_failed`
   * otherwise): every object of the entry is re-owned by the Sandbox and loses the pool's labels,
   * the pod first with a compare-and-swap (`conflict` when another claim won), and the Sandbox's
   * port Services are made; a Run's Sandbox also gets its `RUN_LABEL` on the pod and the gateway
   * in its NetworkPolicy, as a cold one does. Returns `<namespace>/<instance>/<claimant uid>`, the
   * ref every later call uses. `sandbox_not_found` when the entry has no unclaimed pod, or the
   * claimant Sandbox (with that uid) does not exist.
   */
  async claim(entry: SandboxRef, claimant: SandboxRef): Promise<SandboxRef> {
    if (entry.namespace !== WARM_NAMESPACE) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `${entry.namespace}/${entry.name} is no warm-pool entry (namespace ${WARM_NAMESPACE})`,
      );
    }
    // The claimant's run label, read as provision reads it: a Sandbox that is gone claims nothing.
    return this.#warm.claim(entry, claimant, async () => (await this.#sandboxOf(claimant)).run);
  }

  /**
   * Every sandbox with a pod or a workspace claim that a Sandbox owns (by the ref `refOfOwned`
   * names: a claimed warm instance by its instance name), and every unclaimed warm-pool entry
   * (`paddock-warm/<entry>/<entry uid>`).
   */
  async list(): Promise<SandboxRef[]> {
    await this.#discovery.require([POD, CLAIM]);
    const keys = labelKeys(this.#options);
    const selector = (component: string) =>
      `${MANAGED_BY}=paddock,${keys.instance},${COMPONENT}=${component}`;
    const items = [
      ...(await this.#api.list(POD, undefined, selector(Component.Sandbox))),
      ...(await this.#api.list(CLAIM, undefined, selector(Component.Workspace))),
    ];
    const refs = new Map<string, SandboxRef>();
    for (const item of items) {
      const ref = refOfOwned(item, this.#options);
      if (ref !== undefined) refs.set(`${ref.namespace}/${ref.name}/${ref.uid}`, ref);
    }
    return [...refs.values()];
  }

  /**
   * Runs a process in the sandbox's main container (`pod-sessions.ts`): `invalid_transition` when
   * stopped, `sandbox_not_found` when unknown, `validation_failed` for a bad request.
   */
  exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    return this.#sessions.exec(ref, request);
  }

  /** Background processes (the main container as `main` once its gate is open). */
  listProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    return this.#sessions.listProcesses(ref);
  }

  attach(ref: SandboxRef, processId: string): Promise<ProcessHandle> {
    return this.#sessions.attach(ref, processId);
  }

  /** `pods/portforward` after a probe of the pod's listening sockets (`not_found`). */
  connectPort(ref: SandboxRef, port: number): Promise<DuplexStream> {
    return this.#sessions.connectPort(ref, port);
  }

  /**
   * The Sandbox's template and the Run that made it (its `RUN_LABEL`), read from the Sandbox;
   * `sandbox_not_found` unless it has this uid.
   */
  async #sandboxOf(ref: SandboxRef): Promise<{ templateRef: TemplateRef; run?: string }> {
    const sandbox = await this.#api.get<KubeItem & { spec?: { templateRef?: unknown } }>(
      SANDBOXES,
      ref.namespace,
      ref.name,
    );
    const templateRef = TemplateRef.safeParse(sandbox?.spec?.templateRef);
    if (sandbox?.metadata?.uid !== ref.uid || !templateRef.success) {
      throw new PaddockError(
        ErrorCode.SandboxNotFound,
        `Sandbox ${ref.namespace}/${ref.name} with uid ${ref.uid} does not exist: the objects it would own would be garbage-collected`,
      );
    }
    const run = sandbox.metadata?.labels?.[RUN_LABEL];
    return { templateRef: templateRef.data, ...(run ? { run } : {}) };
  }

  async #services(
    namespace: string,
    environment: SandboxEnvironment,
  ): Promise<readonly ServiceEndpoint[]> {
    if (this.#resolveServices !== undefined) return this.#resolveServices(namespace, environment);
    if ((environment.network?.allowedServices ?? []).length === 0) return [];
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      'network.allowedServices cannot be allowed: this runtime was given no service resolver',
    );
  }

  /** The state ConfigMap of this uid, if there is one. */
  async #state(ref: SandboxRef): Promise<ConfigMap | undefined> {
    const state = await this.#api.get<ConfigMap>(
      CONFIG_MAP,
      ref.namespace,
      stateName(instanceName(ref)),
    );
    return state !== undefined && sandboxOwnerUid(state) === ref.uid ? state : undefined;
  }

  /** The instance's objects of `resource` (of one component, if given) that this uid owns. */
  async #owned(
    resource: Parameters<ObjectApi['list']>[0],
    ref: SandboxRef,
    component?: string,
  ): Promise<KubeItem[]> {
    const keys = labelKeys(this.#options);
    const selector = `${keys.instance}=${instanceName(ref)}${component === undefined ? '' : `,${COMPONENT}=${component}`}`;
    const items = await this.#api.list(resource, ref.namespace, selector);
    return items.filter((item) => sandboxOwnerUid(item) === ref.uid);
  }

  #checkOwner(object: KubeItem, ref: SandboxRef): void {
    const owner = sandboxOwnerUid(object);
    if (owner !== ref.uid) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `sandbox ${ref.namespace}/${ref.name} exists with another uid (${owner ?? 'no Sandbox owner'}); destroy it first`,
      );
    }
  }

  async #deleteAndWait(pods: readonly KubeItem[], ref: SandboxRef): Promise<void> {
    for (const pod of pods) {
      await this.#api.delete(POD, ref.namespace, pod.metadata?.name ?? '', pod.metadata?.uid ?? '');
    }
    for (const pod of pods) await this.#untilGone(ref.namespace, pod.metadata?.name ?? '');
  }

  async #untilReady(ref: SandboxRef): Promise<RuntimeObservation> {
    await waitForPod(
      this.#client,
      ref.namespace,
      instanceName(ref),
      (pod) => pod === undefined || isPodReady(pod) || podFailure(pod) !== undefined,
      {
        timeoutMs: this.#readyTimeoutMs,
        what: 'not Ready',
        describe: (pod) => observePod(pod, true).message ?? '',
      },
    );
    return this.observe(ref);
  }

  async #untilGone(namespace: string, name: string): Promise<void> {
    await waitForPod(this.#client, namespace, name, (pod) => pod === undefined, {
      timeoutMs: this.#goneTimeoutMs,
      what: 'not gone',
    });
  }
}

/** Warm-pool entries are provisioned with their template, claimed, destroyed; nothing else. */
function refuseWarm(ref: SandboxRef): void {
  if (ref.namespace !== WARM_NAMESPACE) return;
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `${ref.namespace}/${ref.name} is a warm-pool entry: it is provisioned with its template (warmPool), claimed by a Sandbox or destroyed, never stopped or started`,
  );
}

function notFound(ref: SandboxRef): PaddockError {
  return new PaddockError(
    ErrorCode.SandboxNotFound,
    `sandbox ${ref.namespace}/${ref.name} (uid ${ref.uid}) has no pod or state in the cluster`,
  );
}
