/**
 * What the pod runtime does with the generic warm pool's entries (`warm-entry.ts` says what an
 * entry is on Kubernetes): provision one in its template's namespace, observe and destroy it by
 * its labels, and claim it for a Sandbox.
 */
import {
  ErrorCode,
  PaddockError,
  type ProvisionRequest,
  type RuntimeObservation,
  RuntimeState,
  type SandboxEnvironment,
  type SandboxRef,
} from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { ConfigMap, Pod } from '../objects/kube-types.ts';
import { COMPONENT, Component, labelKeys, RUN_LABEL } from '../objects/labels.ts';
import type { ObjectOptions, ServiceEndpoint } from '../objects/options.ts';
import { portServices } from '../objects/port-services.ts';
import { instanceObjects } from '../objects/sandbox-objects.ts';
import type { ApiDiscovery } from './api-discovery.ts';
import { apiResource, INSTANCE_RESOURCES } from './api-paths.ts';
import { provisionPlan } from './instance-plan.ts';
import { instanceFromRef } from './instance-ref.ts';
import type { KubeItem, ObjectApi } from './object-api.ts';
import { isPodReady, observePod, podFailure } from './pod-observation.ts';
import { waitForPod } from './pod-wait.ts';
import { checkInputs, runtimeInputs } from './runtime-inputs.ts';
import {
  type RuntimeStateData,
  readState,
  stateConfigMap,
  stateDataPatch,
  stateName,
} from './runtime-state.ts';
import {
  entryClaimPatch,
  entryInstance,
  entryNamespace,
  entrySelector,
  templateOf,
} from './warm-entry.ts';

const POD = apiResource('v1', 'Pod');
const CONFIG_MAP = apiResource('v1', 'ConfigMap');
const CLAIM = apiResource('v1', 'PersistentVolumeClaim');
const TEMPLATES = { apiVersion: 'paddock.dev/v1alpha1', plural: 'sandboxtemplates' } as const;

export type WarmEntriesDeps = {
  client: KubeClient;
  api: ObjectApi;
  discovery: ApiDiscovery;
  options: ObjectOptions;
  services(namespace: string, environment: SandboxEnvironment): Promise<readonly ServiceEndpoint[]>;
  readyTimeoutMs: number;
  goneTimeoutMs: number;
};

export class WarmEntries {
  readonly #deps: WarmEntriesDeps;

  constructor(deps: WarmEntriesDeps) {
    this.#deps = deps;
  }

  /**
   * Applies the entry's instance in its template's namespace, owned by the template, and waits
   * until its pod is Ready; an existing entry is only waited for. `template_not_found` when no
   * template of that uid exists to own it; `runtime_unavailable` for a ClusterSandboxTemplate.
   */
  async provision(request: ProvisionRequest & Required<Pick<ProvisionRequest, 'warmPool'>>) {
    const { api, discovery, options } = this.#deps;
    const template = request.warmPool.template;
    const namespace = entryNamespace(template);
    const env = request.env ?? {};
    const readOnlyFiles = request.readOnlyFiles ?? [];
    checkInputs(request.spec, env, readOnlyFiles);
    await discovery.require([POD, CONFIG_MAP, CLAIM]);
    const existing = await this.#pod(request, namespace);
    if (existing !== undefined)
      return this.#untilReady(request, namespace, existing.metadata?.name ?? '');
    const found = await api.get<KubeItem>(TEMPLATES, namespace, template.name);
    if (found?.metadata?.uid !== template.uid) {
      throw new PaddockError(
        ErrorCode.TemplateNotFound,
        `SandboxTemplate ${namespace}/${template.name} with uid ${template.uid} does not exist: the warm pod it would own would be garbage-collected`,
      );
    }
    const instance = entryInstance(templateOf(template, namespace), request.spec, request, options);
    const services = await this.#deps.services(namespace, request.spec);
    const objects = instanceObjects(instance, request.spec, options, services);
    const { secrets, layout } = runtimeInputs(instance, request.spec, env, readOnlyFiles);
    const templateRef = { kind: template.kind, name: template.name };
    const data: RuntimeStateData = { environment: request.spec, templateRef, inputs: layout };
    // Port Services are named after the Sandbox: the claim makes them.
    const ports = new Set(
      portServices(instance, instance.name, request.spec, options).map((o) => o.metadata?.name),
    );
    const plan = provisionPlan(objects, request.spec, options, {
      state: stateConfigMap(instance, data),
      secrets,
      layout,
      sandboxName: instance.name,
    }).filter((o) => !(o.kind === 'Service' && ports.has(o.metadata?.name)));
    await discovery.require(plan.map((o) => apiResource(o.apiVersion, o.kind)));
    for (const object of plan) await api.apply(object);
    return this.#untilReady(request, namespace, instance.name);
  }

  /** The entry's pod as an observation; `absent` once claimed or gone. */
  async observe(entry: SandboxRef): Promise<RuntimeObservation> {
    await this.#deps.discovery.require([POD]);
    const pod = await this.#pod(entry);
    return pod === undefined ? { state: RuntimeState.Absent } : observePod(pod, true);
  }

  /** Deletes every object still labelled with the entry, wherever it is; waits for its pods. */
  async destroy(entry: SandboxRef): Promise<void> {
    const { api, discovery, options } = this.#deps;
    const pods: KubeItem[] = [];
    for (const resource of [...INSTANCE_RESOURCES].reverse()) {
      if (!(await discovery.isServed(resource))) continue;
      for (const item of await api.list(resource, undefined, entrySelector(entry, options))) {
        const { namespace = '', name = '', uid = '' } = item.metadata ?? {};
        await api.delete(resource, namespace, name, uid);
        if (resource.kind === 'Pod') pods.push(item);
      }
    }
    for (const pod of pods) {
      await waitForPod(
        this.#deps.client,
        pod.metadata?.namespace ?? '',
        pod.metadata?.name ?? '',
        (p) => p === undefined,
        { timeoutMs: this.#deps.goneTimeoutMs, what: 'not gone' },
      );
    }
  }

  /**
   * Hands the entry to `claimant`: the sandbox pod's claim patch first, a compare-and-swap on its
   * resourceVersion (`conflict` for the loser), then every other object of the entry, then the
   * claimant's port Services. The Sandbox of a Run (`runOf`: its `RUN_LABEL`) gets what a cold
   * one gets: the label on the pod (in the same compare-and-swap), the NetworkPolicy that lets it
   * reach the gateway, and the run in the state, so `start` keeps both. Returns
   * `<namespace>/<instance>/<claimant uid>`.
   */
  async claim(
    entry: SandboxRef,
    claimant: SandboxRef,
    runOf: () => Promise<string | undefined>,
  ): Promise<SandboxRef> {
    const { api, discovery, options } = this.#deps;
    await discovery.require([POD, CONFIG_MAP]);
    const pod = await this.#pod(entry);
    const namespace = pod?.metadata?.namespace;
    const instance = pod?.metadata?.labels?.[labelKeys(options).instance];
    if (pod === undefined || namespace === undefined || instance === undefined) {
      throw new PaddockError(
        ErrorCode.SandboxNotFound,
        `warm-pool entry ${entry.name} (uid ${entry.uid}) has no unclaimed pod`,
      );
    }
    if (namespace !== claimant.namespace) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `warm-pool entry ${entry.name} waits in namespace ${namespace}: a Sandbox of ${claimant.namespace} cannot own it`,
      );
    }
    const state = await api.get<ConfigMap>(CONFIG_MAP, namespace, stateName(instance));
    if (state === undefined) {
      throw new PaddockError(
        ErrorCode.SandboxNotFound,
        `warm-pool entry ${entry.name} has no state ConfigMap`,
      );
    }
    const data = readState(state);
    const run = await runOf();
    const selector = entrySelector(entry, options);
    const patch = (rv?: string) => entryClaimPatch(claimant, data.templateRef, options, rv);
    const podPatch = patch(pod.metadata?.resourceVersion);
    if (run !== undefined) podPatch.metadata.labels[RUN_LABEL] = run;
    await api.mergePatch(POD, namespace, instance, podPatch);
    const rest = await Promise.all(
      INSTANCE_RESOURCES.map(async (resource) =>
        (await discovery.isServed(resource))
          ? (await api.list(resource, namespace, selector)).map((item) => ({ resource, item }))
          : [],
      ),
    );
    await Promise.all(
      rest
        .flat()
        .map(({ resource, item }) =>
          api.mergePatch(resource, namespace, item.metadata?.name ?? '', patch()),
        ),
    );
    const claimed = { namespace, name: instance, uid: claimant.uid };
    const claimedInstance = instanceFromRef(
      claimed,
      data.environment,
      data.templateRef,
      options,
      claimant.name,
      run,
    );
    if (run !== undefined) {
      const services = await this.#deps.services(namespace, data.environment);
      const objects = instanceObjects(claimedInstance, data.environment, options, services);
      await api.apply(objects.networkPolicy);
      await api.mergePatch(
        CONFIG_MAP,
        namespace,
        stateName(instance),
        stateDataPatch({ ...data, run }),
      );
    }
    for (const service of portServices(claimedInstance, claimant.name, data.environment, options))
      await api.apply(service);
    return claimed;
  }

  /** The entry's sandbox pod while unclaimed (in `namespace`, else looked for everywhere). */
  async #pod(entry: SandboxRef, namespace?: string): Promise<Pod | undefined> {
    const selector = `${entrySelector(entry, this.#deps.options)},${COMPONENT}=${Component.Sandbox}`;
    const [pod] = await this.#deps.api.list<Pod & KubeItem>(POD, namespace, selector);
    return pod;
  }

  /**
   * Waits until the entry's pod is Ready; a failing one is `runtime_unavailable` (no pool keeps
   * an entry that cannot serve).
   */
  async #untilReady(
    entry: SandboxRef,
    namespace: string,
    name: string,
  ): Promise<RuntimeObservation> {
    const pod = await waitForPod(
      this.#deps.client,
      namespace,
      name,
      (p) => p === undefined || isPodReady(p) || podFailure(p) !== undefined,
      {
        timeoutMs: this.#deps.readyTimeoutMs,
        what: 'not Ready',
        describe: (p) => observePod(p, true).message ?? '',
      },
    );
    const observation = pod === undefined ? await this.observe(entry) : observePod(pod, true);
    if (observation.state !== RuntimeState.Failed) return observation;
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `warm pod ${namespace}/${name} failed: ${observation.message ?? 'unknown'}`,
    );
  }
}
