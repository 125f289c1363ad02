/**
 * The last exec, terminal or port activity this runtime saw per sandbox (`lastActivityAt`, for
 * idle expiry): kept in memory, and written to the state ConfigMap's annotation
 * `<prefix>last-activity` at most once per `PERSIST_EVERY_MS`, so a restarted control plane reads
 * it back rather than starting every sandbox's idle clock again.
 */
import type { SandboxRef } from '@paddock/core';
import type { ConfigMap } from '../objects/kube-types.ts';
import { apiResource } from './api-paths.ts';
import { instanceName } from './instance-ref.ts';
import type { ObjectApi } from './object-api.ts';
import { stateName } from './runtime-state.ts';

const CONFIG_MAP = apiResource('v1', 'ConfigMap');
const PERSIST_EVERY_MS = 30_000;

const keyOf = (ref: SandboxRef) => `${ref.namespace}/${ref.name}/${ref.uid}`;

export class ActivityLog {
  readonly #api: ObjectApi;
  readonly #annotation: string;
  readonly #seen = new Map<string, string>();
  readonly #persisted = new Map<string, number>();

  constructor(api: ObjectApi, labelPrefix: string) {
    this.#api = api;
    this.#annotation = `${labelPrefix}last-activity`;
  }

  /** Records activity now; the ConfigMap write is best effort and never awaited by callers. */
  touch(ref: SandboxRef): void {
    const now = Date.now();
    this.#seen.set(keyOf(ref), new Date(now).toISOString());
    if (now - (this.#persisted.get(keyOf(ref)) ?? 0) < PERSIST_EVERY_MS) return;
    this.#persisted.set(keyOf(ref), now);
    const name = stateName(instanceName(ref));
    this.#api
      .mergePatch(CONFIG_MAP, ref.namespace, name, {
        metadata: { annotations: { [this.#annotation]: new Date(now).toISOString() } },
      })
      .catch(() => {});
  }

  /** The last activity seen here, else the one the state ConfigMap recorded (read once). */
  async last(ref: SandboxRef): Promise<string | undefined> {
    const seen = this.#seen.get(keyOf(ref));
    if (seen !== undefined) return seen;
    const state = await this.#api
      .get<ConfigMap>(CONFIG_MAP, ref.namespace, stateName(instanceName(ref)))
      .catch(() => undefined);
    const recorded = state?.metadata?.annotations?.[this.#annotation];
    if (recorded !== undefined) this.#seen.set(keyOf(ref), recorded);
    return recorded;
  }
}
