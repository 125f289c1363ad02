// The SandboxRuntime contract on the local runtime: bubblewrap, and gVisor's runsc where installed.
import { type RuntimeUnderTest, runtimeContract } from '@paddock/testkit';
import { findExecutable } from './host-binaries.ts';
import { createTestWorld, skipReason } from './test-sandboxes.ts';
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

runtimeContract('local, bubblewrap', localRuntime, {
  ...(skipReason === undefined ? {} : { unavailable: skipReason }),
});

const gvisorUnavailable =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

runtimeContract('local, gVisor', localRuntime, {
  spec: { isolation: 'gvisor' },
  ...(gvisorUnavailable === undefined ? {} : { unavailable: gvisorUnavailable }),
});
