// The real server for the bench parts that load it over HTTP (api, memory).
import { join } from 'node:path';
import { type PaddockProcess, startPaddockProcess } from '@paddock/testkit';

const SERVER_MAIN = join(import.meta.dirname, '..', 'apps', 'server', 'src', 'main.ts');

/**
 * `paddock up` on a free loopback port with `home` as its data directory; `cpuProfDir` runs it
 * under `--cpu-prof`. The per-principal rate limit (default 50/s, burst 100) is lifted: it would
 * turn the load into 429s.
 */
export function startBenchServer(home: string, cpuProfDir?: string): Promise<PaddockProcess> {
  return startPaddockProcess([
    ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []),
    SERVER_MAIN,
    '--addr',
    '127.0.0.1:0',
    '--home',
    home,
    '--rate-limit',
    '100000',
    '--rate-burst',
    '100000',
  ]);
}
