import { join } from 'node:path';
import {
  MemoryEventRecorder,
  type SandboxController,
  startSandboxController,
} from '@paddock/control';
import type { ApiKeyStore, AuditLog, ResourceStore, SandboxRuntime } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { openSqliteApiKeyStore, openSqliteAuditLog, openSqliteStore } from '@paddock/store-sqlite';
import { ensureBuiltinTemplates } from './builtin-templates.ts';

export type Engine = {
  store: ResourceStore;
  auditLog: AuditLog;
  apiKeys: ApiKeyStore;
  runtime: SandboxRuntime;
  controller: SandboxController;
  events: MemoryEventRecorder;
  /** Stops reconciling and closes the stores; sandboxes keep running for the next start to adopt. */
  close(): Promise<void>;
};

/**
 * The composition root of one machine: the SQLite store, audit log and API key table in
 * `<home>/paddock.db`, the bubblewrap runtime under `<home>/sandboxes`, the built-in templates,
 * and the reconcilers that drive the runtime from the store.
 */
export async function startEngine(home: string, log: (line: string) => void): Promise<Engine> {
  const path = join(home, 'paddock.db');
  const store = await openSqliteStore({ path });
  const auditLog = await openSqliteAuditLog({ path });
  const apiKeys = await openSqliteApiKeyStore({ path });
  const created = await ensureBuiltinTemplates(store);
  if (created.length > 0) log(`created built-in templates: ${created.join(', ')}`);
  const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
  const events = new MemoryEventRecorder();
  const controller = await startSandboxController({ store, runtime, events, log });
  const adopted = (await runtime.list()).length;
  if (adopted > 0) log(`adopted ${adopted} sandbox(es) from a previous run`);
  return {
    store,
    auditLog,
    apiKeys,
    runtime,
    controller,
    events,
    close: async () => {
      await controller.stop();
      await Promise.allSettled([store.close(), auditLog.close(), apiKeys.close()]);
    },
  };
}
