import { join } from 'node:path';
import {
  MemoryEventRecorder,
  type SandboxController,
  startSandboxController,
} from '@paddock/control';
import type { ResourceStore, SandboxRuntime } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { openSqliteStore } from '@paddock/store-sqlite';

export type Engine = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  controller: SandboxController;
  events: MemoryEventRecorder;
  /** Stops reconciling and closes the store; sandboxes keep running for the next start to adopt. */
  close(): Promise<void>;
};

/**
 * The composition root of one machine: the SQLite store in `<home>/paddock.db`, the bubblewrap
 * runtime under `<home>/sandboxes`, and the reconcilers that drive one with the other.
 */
export async function startEngine(home: string, log: (line: string) => void): Promise<Engine> {
  const store = await openSqliteStore({ path: join(home, 'paddock.db') });
  const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
  const events = new MemoryEventRecorder();
  const controller = await startSandboxController({ store, runtime, events, log });
  const adopted = (await runtime.list()).length;
  if (adopted > 0) log(`adopted ${adopted} sandbox(es) from a previous run`);
  return {
    store,
    runtime,
    controller,
    events,
    close: async () => {
      await controller.stop();
      await store.close();
    },
  };
}
