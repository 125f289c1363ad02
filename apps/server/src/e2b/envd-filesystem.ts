/** envd's `filesystem.Filesystem` service: stat, list, mkdir, move, remove, watch. */
import type { EnvdRpc } from './e2b-call.ts';

export const FILESYSTEM_RPCS: Readonly<Record<string, EnvdRpc>> = {};
