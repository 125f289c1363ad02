import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ResourceStore, Sandbox, TemplateRef } from '@paddock/core';
import { deleteCases } from './store-contract-delete.ts';
import { listCases } from './store-contract-list.ts';
import { watchCases } from './store-contract-watch.ts';
import { writeCases } from './store-contract-writes.ts';
import { FIXTURE_TEMPLATE_REF, type FixtureOptions, sandbox } from './store-fixtures.ts';

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
  /**
   * The template every Sandbox the cases write refers to (default `SandboxTemplate` `x` of the
   * Sandbox's namespace, which need not exist). A store behind admission that resolves templates
   * (`paddock up`'s Kubernetes API) names one it provides: the cases use random namespaces, so a
   * `ClusterSandboxTemplate`.
   */
  sandboxTemplate?: TemplateRef;
};

/** What a case works on: the store, and the Sandbox fixture of this run (its template set). */
export type ContractSubject = StoreUnderTest & {
  sandbox(namespace: string, name: string, options?: Omit<FixtureOptions, 'spec'>): Sandbox;
};

/** Registers one case: runs `body` on a fresh store and always cleans it up. */
export type ContractCase = (
  title: string,
  body: (subject: ContractSubject, t: TestContext) => Promise<void>,
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
  const templateRef = options.sandboxTemplate ?? FIXTURE_TEMPLATE_REF;
  const sandboxOf: ContractSubject['sandbox'] = (namespace, name, fixture = {}) =>
    sandbox(namespace, name, { ...fixture, templateRef });
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
        await body({ ...subject, sandbox: sandboxOf }, t);
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
