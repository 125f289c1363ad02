import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { EnvVar, SandboxEnvironment, SandboxRef, SandboxRuntime } from '@paddock/core';
import { execCases } from './runtime-contract-exec.ts';
import { filesCases } from './runtime-contract-files.ts';
import { lifecycleCases } from './runtime-contract-lifecycle.ts';
import { pauseCases } from './runtime-contract-pause.ts';
import { portCases } from './runtime-contract-ports.ts';
import { processCases } from './runtime-contract-processes.ts';

/** The runtime a contract run exercises, and what the suite needs around it. */
export type RuntimeUnderTest = {
  runtime: SandboxRuntime;
  /** A new instance over the same state, as after a restart of the control plane. */
  restart(): SandboxRuntime;
  /**
   * What the runtime keeps for one sandbox outside the sandbox itself (live processes, state
   * directories, cgroups, pods, volumes), one line each: `[]` once it holds nothing.
   */
  traces(ref: SandboxRef): Promise<string[]>;
  /** Destroys what is left and removes what the factory made (temp dirs, namespaces). */
  cleanup(): Promise<void>;
};

export type RuntimeContractOptions = {
  /** Why this whole run cannot happen here (a missing runtime binary): every case is skipped. */
  unavailable?: string;
  /** Case or group title → why this implementation cannot run it. Every title must exist. */
  skip?: Record<string, string>;
  /** What every sandbox is provisioned from (for example `{ isolation: 'gvisor' }`). */
  spec?: SandboxEnvironment;
  /** Per-case time limit (default 60 s). */
  timeoutMs?: number;
};

/** What a case gets: the runtime, and sandboxes that are destroyed after it. */
export type RuntimeCaseContext = {
  subject: RuntimeUnderTest;
  runtime: SandboxRuntime;
  /** The spec every sandbox of this run starts from. */
  spec: SandboxEnvironment;
  /** The group's sandbox, provisioned on first use and shared by the group's cases. */
  shared(): Promise<SandboxRef>;
  /** A new sandbox of this case alone (provisioned, running). */
  fresh(): Promise<SandboxRef>;
  /** A ref to a sandbox that does not exist. */
  unknown(): SandboxRef;
};

export type RuntimeCase = (
  title: string,
  body: (context: RuntimeCaseContext) => Promise<void>,
) => void;

/** What a group's sandboxes are provisioned with, besides the run's spec. */
export type GroupSetup = { env?: EnvVar[]; provisionEnv?: Record<string, string> };

export type RuntimeGroup = (
  title: string,
  setup: GroupSetup,
  register: (test: RuntimeCase) => void,
) => void;

/**
 * The SandboxRuntime contract: `node:test` cases every runtime must pass (local bubblewrap, local
 * gVisor, Kubernetes pods, the memory fake). It knows the seam only; the factory supplies what is
 * backend-specific (a restarted instance, the traces a sandbox leaves). Call it at the top level of
 * a test file:
 *
 * ```ts
 * runtimeContract('bubblewrap', async () => ({ runtime, restart, traces, cleanup }));
 * ```
 *
 * One runtime serves the whole run; each group shares one sandbox between its cases where they
 * cannot disturb each other, and cases that stop or destroy make their own.
 */
export function runtimeContract(
  name: string,
  makeRuntime: () => Promise<RuntimeUnderTest>,
  options: RuntimeContractOptions = {},
): void {
  const skip = options.skip ?? {};
  const spec = options.spec ?? {};
  const titles = new Set<string>();
  const namespace = `rc-${randomBytes(4).toString('hex')}`;
  let counter = 0;
  const newRef = (): SandboxRef => {
    counter += 1;
    return { namespace, name: `sb${counter}`, uid: `uid-${randomBytes(6).toString('hex')}` };
  };
  let made: Promise<RuntimeUnderTest> | undefined;
  const subject = (): Promise<RuntimeUnderTest> => {
    made ??= makeRuntime();
    return made;
  };

  const group: RuntimeGroup = (title, setup, register) => {
    assert.ok(!titles.has(title), `duplicate contract group "${title}"`);
    titles.add(title);
    const groupSpec: SandboxEnvironment = setup.env ? { ...spec, env: setup.env } : spec;
    const provision = async (runtime: SandboxRuntime): Promise<SandboxRef> => {
      const ref = newRef();
      const request = { ...ref, spec: groupSpec };
      await runtime.provision(
        setup.provisionEnv ? { ...request, env: setup.provisionEnv } : request,
      );
      return ref;
    };
    let sharedRef: Promise<SandboxRef> | undefined;
    describe(title, skipOption(skip[title]), () => {
      register((caseTitle, body) => {
        assert.ok(!titles.has(caseTitle), `duplicate contract case "${caseTitle}"`);
        titles.add(caseTitle);
        const caseOptions = {
          timeout: options.timeoutMs ?? 60_000,
          ...skipOption(skip[caseTitle]),
        };
        it(caseTitle, caseOptions, async () => {
          const under = await subject();
          const own: SandboxRef[] = [];
          try {
            await body({
              subject: under,
              runtime: under.runtime,
              spec: groupSpec,
              shared: () => {
                sharedRef ??= provision(under.runtime);
                return sharedRef;
              },
              fresh: async () => {
                const ref = await provision(under.runtime);
                own.push(ref);
                return ref;
              },
              unknown: newRef,
            });
          } finally {
            for (const ref of own) await under.runtime.destroy(ref);
          }
        });
      });
      after(async () => {
        const ref = await sharedRef?.catch(() => undefined);
        if (ref !== undefined && made !== undefined) await (await made).runtime.destroy(ref);
      });
    });
  };

  describe(`SandboxRuntime contract: ${name}`, skipOption(options.unavailable), () => {
    lifecycleCases(group);
    execCases(group);
    processCases(group);
    filesCases(group);
    portCases(group);
    pauseCases(group);
    it('the skip map names only existing cases and groups', () => {
      assert.deepEqual(
        Object.keys(skip).filter((title) => !titles.has(title)),
        [],
      );
    });
    after(async () => {
      if (made !== undefined) await (await made).cleanup();
    });
  });
}

function skipOption(reason: string | undefined): { skip?: string } {
  return reason === undefined ? {} : { skip: reason };
}
