import { chownSync } from 'node:fs';
import { join } from 'node:path';
import {
  EGRESS_SOCKET_NAME,
  type EgressEvent,
  type EgressProxy,
  type HostService,
  proxyEnv,
  startEgressProxy,
  withEgressBridge,
} from './egress/index.ts';
import type { SandboxDirs, SandboxState } from './sandbox-state.ts';

export function isAllowlist(state: SandboxState): boolean {
  return state.spec.network?.egress === 'allowlist';
}

/**
 * The egress proxies of this runtime's `allowlist` sandboxes: one per sandbox, in this process,
 * listening on `<sandbox dir>/egress/egress.sock` (bound into the sandbox at /run/paddock).
 * Proxies do not survive Paddock; `ensure` starts one again for a re-adopted sandbox.
 */
export type EgressOptions = {
  /** Host services every `allowlist` sandbox may reach (the LLM gateway). */
  hostServices?: readonly HostService[];
  /** Every decision of a sandbox's proxy, for its events and the audit log. */
  log?: (sandbox: { namespace: string; name: string }, event: EgressEvent) => void;
};

export class EgressManager {
  readonly #proxies = new Map<string, Promise<EgressProxy>>();
  readonly #options: EgressOptions;

  constructor(options: EgressOptions = {}) {
    this.#options = options;
  }

  /** Starts the sandbox's proxy unless it runs; the socket belongs to the sandbox's host uid. */
  async ensure(dirs: SandboxDirs, state: SandboxState, chownTo: number | undefined): Promise<void> {
    if (!isAllowlist(state)) return;
    const key = dirs.dir;
    let proxy = this.#proxies.get(key);
    if (proxy === undefined) {
      const socketPath = join(dirs.egress, EGRESS_SOCKET_NAME);
      const { log, hostServices } = this.#options;
      const sandbox = { namespace: state.namespace, name: state.name };
      proxy = startEgressProxy({
        socketPath,
        allowedDomains: state.spec.network?.allowedDomains ?? [],
        ...(hostServices === undefined ? {} : { hostServices }),
        ...(log === undefined ? {} : { log: (event: EgressEvent) => log(sandbox, event) }),
      }).then((p) => {
        if (chownTo !== undefined) chownSync(socketPath, chownTo, chownTo);
        return p;
      });
      this.#proxies.set(key, proxy);
      proxy.catch(() => this.#proxies.delete(key));
    }
    await proxy;
  }

  async close(dirs: SandboxDirs): Promise<void> {
    const proxy = this.#proxies.get(dirs.dir);
    this.#proxies.delete(dirs.dir);
    await (await proxy?.catch(() => undefined))?.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.#proxies.values()];
    this.#proxies.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
  }
}

/** The environment and command of a process in an `allowlist` sandbox: through the bridge. */
export function egressWrap(
  command: string[],
  env: Record<string, string>,
): { command: string[]; env: Record<string, string> } {
  return { command: withEgressBridge(command), env: { ...env, ...proxyEnv() } };
}
