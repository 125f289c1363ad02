import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type AnyTemplate,
  type ResourceStore,
  type RuntimeObservation,
  resolveTemplate,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxRef,
  type SandboxRuntime,
  TemplateKind,
} from '@paddock/core';
import { hasCredentialMounts } from './credential-mounts.ts';
import type { EventRecorder } from './event-recorder.ts';
import { hasHostMounts } from './host-mount-provision.ts';
import { WorkQueue } from './kit/work-queue.ts';
import { applyProvisioningSteps } from './provisioning.ts';
import { idToRef } from './runtime-ref.ts';

/** Runtime namespace holding unclaimed warm sandboxes. */
export const WARM_POOL_NAMESPACE = 'paddock-warm';

/** The pools sync as one: their only work-queue key. */
const SYNC_KEY = 'pools';
const REFILL_KEY = 'refill';
/**
 * The pools refill once claims have paused this long: a burst of claims is served first and
 * followed by one refill pass, and a claimant's first commands (an exec right after Running) do
 * not compete with a new start.
 */
const REFILL_QUIET_MS = 100;
/** ...but no later than this after the first claim a refill waits for (claims that never pause). */
const REFILL_MAX_WAIT_MS = 1000;

type Pool = {
  /** `Kind/namespace/name` of the template that declares the pool. */
  key: string;
  /** Short hash of key + resolved spec: prefixes every entry's name, so a changed template drains old entries. */
  tag: string;
  kind: TemplateKind;
  namespace: string | undefined;
  name: string;
  /** The template's uid: the runtime may tie entries to it (on Kubernetes, their owner). */
  uid: string;
  size: number;
  spec: SandboxEnvironment;
};

/**
 * What a claimant records of its entry's runtime (how limits are enforced, whether rootless):
 * fixed when the entry started, so observed then, off the claim's path.
 */
export type EntryFacts = Pick<RuntimeObservation, 'limits' | 'rootless'>;

export type PoolStats = {
  template: string;
  desired: number;
  ready: number;
  hits: number;
  misses: number;
};

export type WarmPoolOptions = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventRecorder;
  now: () => Date;
  log?: (line: string) => void;
  /** When the pools refill after claims (default `REFILL_QUIET_MS`, `REFILL_MAX_WAIT_MS`). */
  refill?: { quietMs: number; maxWaitMs: number };
};

/**
 * Per-template pools of pre-provisioned sandboxes. A Sandbox whose template declares
 * `warmPool.size` and whose resolved spec equals the template's (no overrides that change it)
 * claims a ready entry instead of a cold start; the pool then refills in the background.
 * Unclaimed entries are known to the runtime under {@link WARM_POOL_NAMESPACE} (their provision
 * requests name the template in `warmPool`) and are re-adopted after a restart (entries no Sandbox
 * references and no pool wants are destroyed). A runtime with `claim` hands an entry over itself
 * and names the ref the Sandbox records; one without keeps the entry's ref, renamed with
 * `setHostname`.
 */
export class WarmPool {
  readonly #options: WarmPoolOptions;
  #pools = new Map<string, Pool>();
  readonly #ready = new Map<string, SandboxRef[]>();
  readonly #counters = new Map<string, { hits: number; misses: number }>();
  /** Claimed entries whose Sandbox has not recorded them yet: never re-adopted meanwhile. */
  readonly #claimedUnrecorded = new Set<string>();
  /** Facts of entries this process started, by entry name (the claimed ref's, once claimed). */
  readonly #facts = new Map<string, EntryFacts>();
  /** Serialises syncs: one at a time, and one more for every burst of requests during one. */
  readonly #queue: WorkQueue;
  #closed = false;
  #refillTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the first claim the pending refill waits for was recorded (epoch ms). */
  #refillWaitingSince: number | undefined;

  constructor(options: WarmPoolOptions) {
    this.#options = options;
    this.#queue = new WorkQueue({
      concurrency: 1,
      worker: async (key) => {
        if (key === REFILL_KEY) await this.#fill();
        else await this.#sync();
        return {};
      },
      onError: (_, error, retry) =>
        options.log?.(`warm pool: ${(error as Error).message} (retrying in ${retry.delayMs} ms)`),
    });
  }

  /**
   * Takes a ready entry for this sandbox and returns the ref to record as its runtime identity, or
   * undefined (a cold start follows). The caller calls `claimRecorded` with that ref once it is
   * recorded, which schedules the refill.
   */
  async claim(sandbox: Sandbox, spec: SandboxEnvironment): Promise<SandboxRef | undefined> {
    // A sandbox made from a snapshot starts from its copy, never from a pooled empty workspace.
    if (sandbox.spec.fromSnapshot !== undefined) return undefined;
    const ref = sandbox.spec.templateRef;
    const kind = ref.kind ?? TemplateKind.SandboxTemplate;
    const namespace =
      kind === TemplateKind.ClusterSandboxTemplate ? undefined : sandbox.metadata.namespace;
    const pool = this.#pools.get(poolKey(kind, namespace, ref.name));
    if (!pool || !isDeepStrictEqual(pool.spec, spec)) return undefined;
    const counters = this.#countersFor(pool.key);
    const entry = this.#ready.get(pool.tag)?.shift();
    if (!entry) {
      counters.misses += 1;
      return undefined;
    }
    // Marked claimed before handing over, so that a sync meanwhile does not re-pool it.
    this.#claimedUnrecorded.add(entry.name);
    let claimed: SandboxRef;
    try {
      claimed = await this.#handOver(entry, sandbox);
    } catch (error) {
      // An entry that cannot be handed over is not: a cold start follows.
      this.#options.log?.(`warm pool: claiming ${entry.name}: ${(error as Error).message}`);
      await this.#options.runtime.destroy(entry).catch(() => {});
      this.#claimedUnrecorded.delete(entry.name);
      this.#facts.delete(entry.name);
      counters.misses += 1;
      return undefined;
    }
    // Known by the claimed ref from now on (a sync never sees another entry ref again).
    this.#claimedUnrecorded.delete(entry.name);
    const facts = this.#facts.get(entry.name);
    this.#facts.delete(entry.name);
    if (facts !== undefined) this.#facts.set(claimed.name, facts);
    if (claimed.namespace === WARM_POOL_NAMESPACE) this.#claimedUnrecorded.add(claimed.name);
    counters.hits += 1;
    return claimed;
  }

  /** Gives the entry to the sandbox: the runtime's `claim`, else a rename to its name. */
  async #handOver(entry: SandboxRef, sandbox: Sandbox): Promise<SandboxRef> {
    const { runtime } = this.#options;
    const { namespace, name, uid } = sandbox.metadata;
    if (runtime.claim !== undefined) {
      return runtime.claim(entry, { namespace: namespace ?? '', name: name ?? '', uid: uid ?? '' });
    }
    // The entry answers to its claimant's name from now on, not to its pool name.
    if (name !== undefined && runtime.setHostname !== undefined)
      await runtime.setHostname(entry, name);
    return entry;
  }

  /**
   * The facts observed when the entry claimed as `ref` started, once (the claimant records them
   * instead of observing the runtime again); undefined for an entry this process did not start.
   */
  takeFacts(ref: SandboxRef): EntryFacts | undefined {
    const facts = this.#facts.get(ref.name);
    this.#facts.delete(ref.name);
    return facts;
  }

  stats(): PoolStats[] {
    return [...this.#pools.values()].map((pool) => ({
      template: pool.key,
      desired: pool.size,
      ready: this.#ready.get(pool.tag)?.length ?? 0,
      ...this.#countersFor(pool.key),
    }));
  }

  /**
   * Re-reads templates, adopts or destroys existing entries, and fills every pool. Resolves when
   * no sync is queued or running; a failed sync is logged and retried with backoff.
   */
  scheduleSync(): Promise<void> {
    this.#queue.add(SYNC_KEY);
    return this.#queue.idle();
  }

  /**
   * A claimed entry (`entry`: the ref `claim` returned) is now recorded as its Sandbox's: the
   * pools refill once claims have paused for `REFILL_QUIET_MS`, at most `REFILL_MAX_WAIT_MS`
   * after the first claim the refill waits for (starting entries up to each pool's size; not the
   * full sync's listing of every Sandbox and runtime entry, which a claim does not need).
   */
  claimRecorded(entry: SandboxRef): void {
    this.#claimedUnrecorded.delete(entry.name);
    if (this.#closed) return;
    const { quietMs, maxWaitMs } = this.#options.refill ?? {
      quietMs: REFILL_QUIET_MS,
      maxWaitMs: REFILL_MAX_WAIT_MS,
    };
    const now = Date.now();
    this.#refillWaitingSince ??= now;
    const leftMs = this.#refillWaitingSince + maxWaitMs - now;
    clearTimeout(this.#refillTimer);
    this.#refillTimer = setTimeout(
      () => {
        this.#refillTimer = undefined;
        this.#refillWaitingSince = undefined;
        this.#queue.add(REFILL_KEY);
      },
      Math.max(0, Math.min(quietMs, leftMs)),
    );
  }

  /** Stops refilling; ready entries stay for the next process to adopt. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#refillTimer);
    this.#refillTimer = undefined;
    await this.#queue.close();
  }

  #countersFor(key: string) {
    let counters = this.#counters.get(key);
    if (!counters) {
      counters = { hits: 0, misses: 0 };
      this.#counters.set(key, counters);
    }
    return counters;
  }

  async #sync(): Promise<void> {
    const { store, runtime } = this.#options;
    this.#pools = await desiredPools(store, this.#options.log);
    const tags = new Map([...this.#pools.values()].map((p) => [p.tag, p]));
    const claimed = new Set(
      (await store.list('Sandbox')).items
        .map((s) => (s.status?.runtime ? idToRef(s.status.runtime.id) : undefined))
        .filter((r): r is SandboxRef => r !== undefined && r.namespace === WARM_POOL_NAMESPACE)
        .map((r) => r.name),
    );
    for (const name of this.#claimedUnrecorded)
      if (claimed.has(name)) this.#claimedUnrecorded.delete(name);
    const listed = await runtime.list();
    // An entry the runtime no longer holds (on Kubernetes: evicted, or collected with its
    // template) is not handed out.
    const held = new Set(listed.map((r) => `${r.namespace}/${r.name}/${r.uid}`));
    for (const [tag, entries] of this.#ready)
      this.#ready.set(
        tag,
        entries.filter((r) => held.has(`${r.namespace}/${r.name}/${r.uid}`)),
      );
    const known = new Set([
      ...[...this.#ready.values()].flat().map((r) => r.name),
      ...this.#claimedUnrecorded,
    ]);
    for (const ref of listed) {
      if (ref.namespace !== WARM_POOL_NAMESPACE || claimed.has(ref.name) || known.has(ref.name))
        continue;
      const tag = ref.name.split('-')[1] ?? '';
      if (tags.has(tag)) this.#readyFor(tag).push(ref);
      else await runtime.destroy(ref);
    }
    for (const [tag, entries] of this.#ready) {
      const pool = tags.get(tag);
      while (entries.length > (pool?.size ?? 0)) await runtime.destroy(entries.pop() as SandboxRef);
      if (!pool) this.#ready.delete(tag);
    }
    // Facts of entries gone meanwhile (destroyed, or claimed by a pass that failed) are dropped.
    const pooled = new Set([...this.#ready.values()].flat().map((r) => r.name));
    for (const name of this.#facts.keys())
      if (!pooled.has(name) && !this.#claimedUnrecorded.has(name)) this.#facts.delete(name);
    await this.#fill();
  }

  /** Starts entries until every pool holds its size. */
  async #fill(): Promise<void> {
    for (const pool of this.#pools.values()) {
      while (!this.#closed && this.#readyFor(pool.tag).length < pool.size) {
        const entry = await this.#provision(pool);
        if (!entry) break;
        this.#readyFor(pool.tag).push(entry);
      }
    }
  }

  #readyFor(tag: string): SandboxRef[] {
    let entries = this.#ready.get(tag);
    if (!entries) {
      entries = [];
      this.#ready.set(tag, entries);
    }
    return entries;
  }

  async #provision(pool: Pool): Promise<SandboxRef | undefined> {
    const { runtime, events, now, log } = this.#options;
    const ref = {
      namespace: WARM_POOL_NAMESPACE,
      name: `w-${pool.tag}-${randomUUID().slice(0, 8)}`,
      uid: randomUUID(),
    };
    try {
      const template = {
        kind: pool.kind,
        name: pool.name,
        uid: pool.uid,
        ...(pool.namespace === undefined ? {} : { namespace: pool.namespace }),
      };
      await runtime.provision({ ...ref, spec: pool.spec, warmPool: { template } });
      const failure = await applyProvisioningSteps(runtime, ref, pool.spec, () => {});
      if (!failure) {
        const { limits, rootless } = await runtime.observe(ref);
        this.#facts.set(ref.name, {
          ...(limits === undefined ? {} : { limits }),
          ...(rootless === undefined ? {} : { rootless }),
        });
        return ref;
      }
      await runtime.destroy(ref);
      await events.record({
        kind: pool.kind,
        namespace: pool.namespace,
        name: pool.name,
        uid: undefined,
        type: 'Warning',
        reason: 'WarmPoolProvisionFailed',
        message: `${failure.step} failed (exit ${failure.exitCode ?? '?'}): ${failure.output ?? ''}`,
        timestamp: now().toISOString(),
      });
    } catch (error) {
      log?.(`warm pool ${pool.key}: ${(error as Error).message}`);
      await runtime.destroy(ref).catch(() => {});
    }
    return undefined;
  }
}

function poolKey(kind: TemplateKind, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

async function desiredPools(
  store: ResourceStore,
  log?: (line: string) => void,
): Promise<Map<string, Pool>> {
  const templates: AnyTemplate[] = [
    ...(await store.list('ClusterSandboxTemplate')).items,
    ...(await store.list('SandboxTemplate')).items,
  ];
  const lookup = (kind: TemplateKind, ns: string | undefined, name: string) =>
    templates.find(
      (t) => t.kind === kind && t.metadata.name === name && t.metadata.namespace === ns,
    );
  const pools = new Map<string, Pool>();
  for (const template of templates) {
    const size = template.spec.warmPool?.size ?? 0;
    if (size === 0 || template.metadata.deletionTimestamp) continue;
    const kind = template.kind;
    const namespace = template.metadata.namespace;
    const name = template.metadata.name ?? '';
    try {
      const { spec } = resolveTemplate(
        { kind, name },
        namespace === undefined ? { lookup } : { lookup, namespace },
      );
      // Host mounts are judged against the claiming sandbox's namespace policy: never pooled.
      if (hasHostMounts(spec)) {
        log?.(`warm pool for ${kind}/${name}: templates with host mounts are not pooled`);
        continue;
      }
      // A credential mount is the claimant's owner's credential: never pooled either.
      if (hasCredentialMounts(spec)) {
        log?.(`warm pool for ${kind}/${name}: templates with credential mounts are not pooled`);
        continue;
      }
      // Volumes are the claimant's namespace's (and owner's): never pooled.
      if (spec.volumes?.length) {
        log?.(`warm pool for ${kind}/${name}: templates with volumes are not pooled`);
        continue;
      }
      const key = poolKey(kind, namespace, name);
      const tag = createHash('sha256')
        .update(key)
        .update(JSON.stringify(spec))
        .digest('hex')
        .slice(0, 10);
      const uid = template.metadata.uid ?? '';
      pools.set(key, { key, tag, kind, namespace, name, uid, size, spec });
    } catch (error) {
      log?.(`warm pool for ${kind}/${name}: ${(error as Error).message}`);
    }
  }
  return pools;
}
