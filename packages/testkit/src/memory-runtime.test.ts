// The SandboxRuntime contract on the memory runtime, the fake the control tests use.
import { MemoryRuntime } from './memory-runtime.ts';
import { runtimeContract } from './runtime-contract.ts';

const RUNS_NOTHING = 'the memory runtime runs no commands: a script decides their exit and output';

runtimeContract(
  'memory',
  async () => {
    const runtime = new MemoryRuntime();
    return {
      runtime,
      restart: () => runtime.restarted(),
      traces: async (ref) =>
        (await runtime.list()).some((r) => r.namespace === ref.namespace && r.name === ref.name)
          ? [`sandbox ${ref.namespace}/${ref.name}`]
          : [],
      cleanup: async () => {
        for (const ref of await runtime.list()) await runtime.destroy(ref);
      },
    };
  },
  {
    skip: {
      exec: RUNS_NOTHING,
      ports: 'the memory runtime has no network',
      'lists background processes and replays their output from the start on attach': RUNS_NOTHING,
    },
  },
);
