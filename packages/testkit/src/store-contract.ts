import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ResourceStore } from '@paddock/core';
import { deleteCases } from './store-contract-delete.ts';
import { listCases } from './store-contract-list.ts';
import { watchCases } from './store-contract-watch.ts';
import { writeCases } from './store-contract-writes.ts';

/**
 * A fresh store for one case. `cleanup` closes it and removes what it made (temp dir, namespaces).
 * `compact`, when the implementation can, makes the store forget its change history up to now,
 * so that watching from an earlier resourceVersion is `expired`; without it that case is skipped.
 */
export type StoreUnderTest = {
  store: ResourceStore;
  cleanup(): Promise<void>;
  compact?(): Promise<void>;
};

export type StoreContractOptions = {
  /** Case title → why this implementation cannot run it. Every title must name a case. */
  skip?: Record<string, string>;
  /** Per-case time limit (default 30 s). */
  timeoutMs?: number;
};

/** Registers one case: runs `body` on a fresh store and always cleans it up. */
export type ContractCase = (
  title: string,
  body: (subject: StoreUnderTest, t: TestContext) => Promise<void>,
) => void;

/**
 * The ResourceStore contract: `node:test` cases every implementation must pass (Kubernetes
 * semantics for create, get, list, update, updateStatus, delete with finalizers, and watch).
 * Call it at the top level of a test file:
 *
 * ```ts
 * runStoreContract('sqlite', async () => { const store = …; return { store, cleanup } });
 * ```
 *
 * Cases use random namespaces and names, so a store shared between cases (a cluster) works too.
 */
export function runStoreContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  options: StoreContractOptions = {},
): void {
  const skip = options.skip ?? {};
  const titles = new Set<string>();
  const test: ContractCase = (title, body) => {
    assert.ok(!titles.has(title), `duplicate contract case "${title}"`);
    titles.add(title);
    const reason = skip[title];
    const caseOptions = {
      timeout: options.timeoutMs ?? 30_000,
      ...(reason === undefined ? {} : { skip: reason }),
    };
    it(title, caseOptions, async (t) => {
      const subject = await makeStore();
      try {
        await body(subject, t);
      } finally {
        await subject.cleanup();
      }
    });
  };

  describe(`ResourceStore contract: ${name}`, () => {
    writeCases(test);
    deleteCases(test);
    listCases(test);
    watchCases(test);
    it('the skip map names only existing cases', () => {
      assert.deepEqual(
        Object.keys(skip).filter((title) => !titles.has(title)),
        [],
      );
    });
  });
}
