// The SandboxRuntime contract on the local runtime: bubblewrap, and gVisor's runsc where installed.
// It runs as whoever runs it: as root, and rootless (runtime-contract-rootless.test.ts re-runs this
// file as an unprivileged user when the run is root's).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type RuntimeUnderTest, runtimeContract } from '@paddock/testkit';
import { findExecutable } from './host-binaries.ts';
import { anyUserSkipReason, createTestWorld } from './test-sandboxes.ts';
import { localTraces } from './test-traces.ts';

async function localRuntime(): Promise<RuntimeUnderTest> {
  const world = createTestWorld();
  return {
    runtime: world.runtime,
    restart: () => world.reopen(),
    traces: localTraces(world.root),
    cleanup: () => world.cleanup(),
  };
}

const rootless = process.getuid?.() !== 0;
const devNull = statSync('/dev/null');

runtimeContract(rootless ? 'local, bubblewrap, rootless' : 'local, bubblewrap', localRuntime, {
  ...(anyUserSkipReason === undefined ? {} : { unavailable: anyUserSkipReason }),
});

const gvisorUnavailable =
  anyUserSkipReason ??
  (rootless ? 'gVisor needs Paddock to run as root' : undefined) ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

runtimeContract('local, gVisor', localRuntime, {
  spec: { isolation: 'gvisor' },
  skip: {
    'a background process can reopen its output: /dev/stdout, /dev/stderr':
      'under gVisor a background process writes its output files from inside the sandbox (a restored checkpoint holds no host descriptors): reopening one truncates it, as with `cmd > file`',
  },
  ...(gvisorUnavailable === undefined ? {} : { unavailable: gvisorUnavailable }),
});

describe('the host after the contract ran', () => {
  it("keeps its /dev/null as it was: no sandbox's runtime took it over", () => {
    const now = statSync('/dev/null');
    // runsc hands the stdio it is given to the sandbox's user: given /dev/null, it chowned it.
    assert.deepEqual([now.uid, now.gid, now.mode], [devNull.uid, devNull.gid, devNull.mode]);
  });
});
