import type { ExecStreamEvent, ProcessList, SandboxProcess, StartProcessBody } from '@paddock/api';
import type { Caller } from './call.ts';
import type { ScopeOptions } from './resources.ts';
import type { RequestOptions } from './transport.ts';

/**
 * A sandbox's background processes: they run on after the request that started them (and a
 * restart of Paddock) until they end, time out, are killed or the sandbox stops.
 */
export type SandboxProcesses = {
  /** Running and ended processes (`main` is the template's command). */
  list(name: string, options?: ScopeOptions): Promise<ProcessList>;
  /** Starts one; `conflict` while a process of `body.processId` runs. */
  start(name: string, body: StartProcessBody, options?: ScopeOptions): Promise<SandboxProcess>;
  /** One process (`not_found` for an unknown id). */
  get(name: string, processId: string, options?: ScopeOptions): Promise<SandboxProcess>;
  /**
   * `started`, its output from the start (`stdout`/`stderr`), then `exit` once it ends. Breaking
   * out stops following; the process runs on.
   */
  follow(name: string, processId: string, options?: ScopeOptions): AsyncIterable<ExecStreamEvent>;
  /**
   * Signals it and every process it started (`signalName`, `SIGKILL` by default: answered once it
   * has ended).
   * An ended process is answered as it is.
   */
  kill(
    name: string,
    processId: string,
    options?: ScopeOptions & { signalName?: string },
  ): Promise<SandboxProcess>;
};

export function sandboxProcesses(
  caller: Caller,
  params: (name: string, options: ScopeOptions | undefined) => { namespace: string; name: string },
  request: (options: RequestOptions | undefined) => RequestOptions,
): SandboxProcesses {
  const one = (name: string, processId: string, options: ScopeOptions | undefined) => ({
    ...request(options),
    params: { ...params(name, options), processId },
  });
  return {
    list: (name, options) =>
      caller.call('listSandboxProcesses', { ...request(options), params: params(name, options) }),
    start: (name, body, options) =>
      caller.call('startSandboxProcess', {
        ...request(options),
        params: params(name, options),
        body,
      }),
    get: (name, processId, options) =>
      caller.call('getSandboxProcess', one(name, processId, options)),
    follow: (name, processId, options) =>
      caller.stream('followSandboxProcess', one(name, processId, options)),
    kill: (name, processId, options) =>
      caller.call('killSandboxProcess', {
        ...one(name, processId, options),
        query: { ...(options?.signalName !== undefined && { signal: options.signalName }) },
      }),
  };
}
