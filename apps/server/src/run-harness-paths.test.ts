// A run's exec starts the harness where both runtimes put it: on a cluster, the emptyDir its init
// container filled, mounted read-only at HARNESS_PATH (its rendering is tested in
// packages/kube, the copy run from there in apps/controller); on one machine, the binds of
// `harnessToolMounts` at the same place.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planHarness } from '@paddock/control';
import { Agent, Run } from '@paddock/core';
import { HARNESS_LAYOUT, HARNESS_PATH } from '@paddock/kube';
import { harnessToolMounts, RUN_HARNESS } from './run-services.ts';

const run = Run.parse({
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'Run',
  metadata: { name: 'r', namespace: 'team-a', uid: 'u' },
  spec: { agent: { harness: { kind: 'builtin' } }, prompt: 'hi' },
});
const gateway = { baseUrl: 'http://paddock-gateway.paddock-system.svc:8081/gateway', token: 't' };

function argvOf(kind: 'builtin' | 'claude-code'): string[] {
  const agent = Agent.parse({
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'Agent',
    metadata: { name: 'a', namespace: 'team-a' },
    spec: { harness: { kind } },
  }).spec;
  return planHarness(run, agent, RUN_HARNESS, gateway).command;
}

describe("a run's harness argv", () => {
  it("is Node.js and paddock-agent at the pod's read-only harness mount", () => {
    for (const kind of ['builtin', 'claude-code'] as const) {
      const [node, main] = argvOf(kind);
      assert.equal(node, `${HARNESS_PATH}/${HARNESS_LAYOUT.node}`, kind);
      assert.equal(main, `${HARNESS_PATH}/${HARNESS_LAYOUT.agentMain}`, kind);
    }
    assert.equal(argvOf('claude-code')[2], 'wrap');
  });

  it('names files that the local binds provide at the same paths', () => {
    const mounts = harnessToolMounts();
    for (const path of argvOf('builtin').slice(0, 2)) {
      const mount = mounts.find((m) => path.startsWith(`${m.dest}/`));
      assert.ok(mount, path);
      assert.ok(existsSync(join(mount.source, path.slice(mount.dest.length))), path);
    }
  });
});
