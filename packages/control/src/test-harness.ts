// Shared set-up for the control tests: a real SQLite store in a temp dir, the memory runtime, a
// clock the test moves by hand.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyResource, Sandbox } from '@paddock/core';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '@paddock/store-sqlite';
import { MemoryRuntime } from '@paddock/testkit';
import { AdmissionLedger } from './admission-ledger.ts';
import { MemoryEventRecorder } from './event-recorder.ts';
import { type ReconcileDeps, reconcileSandbox } from './sandbox-reconciler.ts';

export type Harness = ReconcileDeps & {
  store: SqliteStore;
  runtime: MemoryRuntime;
  events: MemoryEventRecorder;
  advance(ms: number): void;
  /** Reconciles until the reconciler asks for no immediate requeue; returns the sandbox after. */
  settle(name: string, namespace?: string): Promise<Sandbox>;
  apply(resource: AnyResource): Promise<void>;
  close(): Promise<void>;
};

const v = 'paddock.dev/v1alpha1';

export function sandboxManifest(name: string, spec: Partial<Sandbox['spec']> = {}): Sandbox {
  return {
    apiVersion: v,
    kind: 'Sandbox',
    metadata: { name, namespace: 'default' },
    spec: { templateRef: { name: 'shell' }, desiredState: 'Running', ...spec },
  };
}

export function templateManifest(name: string, spec: Record<string, unknown> = {}): AnyResource {
  return {
    apiVersion: v,
    kind: 'SandboxTemplate',
    metadata: { name, namespace: 'default' },
    spec,
  } as AnyResource;
}

export async function createHarness(): Promise<Harness> {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date(clock);
  const stores = await openTempStores({ now });
  const store = stores.store;
  const runtime = new MemoryRuntime({ now });
  const events = new MemoryEventRecorder();
  const deps: ReconcileDeps = { store, runtime, events, now, admissions: new AdmissionLedger() };
  const harness: Harness = {
    ...deps,
    store,
    runtime,
    events,
    advance: (ms) => {
      clock += ms;
    },
    settle: async (name, namespace = 'default') => {
      for (let i = 0; i < 20; i++) {
        const { requeueAfterMs } = await reconcileSandbox(harness, { namespace, name });
        if (requeueAfterMs !== 0) break;
      }
      return store.get('Sandbox', { namespace, name });
    },
    apply: async (resource) => {
      await store.create(resource);
    },
    close: () => stores.close(),
  };
  return harness;
}

export type TempStores = {
  /** The first connection. */
  store: SqliteStore;
  /**
   * Another connection to the same file: its watches learn of the other connections' commits
   * only when they poll (every `pollIntervalMs`), not at once.
   */
  connect(options?: Omit<SqliteStoreOptions, 'path'>): Promise<SqliteStore>;
  close(): Promise<void>;
};

/** A real SQLite store in a temp dir, and more connections to it on demand. */
export async function openTempStores(
  options: Omit<SqliteStoreOptions, 'path'> = {},
): Promise<TempStores> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-kit-'));
  const path = join(dir, 'paddock.db');
  const opened: SqliteStore[] = [];
  const connect = async (more: Omit<SqliteStoreOptions, 'path'> = {}) => {
    const store = await openSqliteStore({ ...more, path });
    opened.push(store);
    return store;
  };
  return {
    store: await connect(options),
    connect,
    close: async () => {
      await Promise.all(opened.map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
