/** envd's `process.Process` service: commands and PTYs on the SandboxRuntime seam. */
import type { EnvdRpc } from './e2b-call.ts';

export const PROCESS_RPCS: Readonly<Record<string, EnvdRpc>> = {};
