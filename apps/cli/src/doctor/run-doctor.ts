// Every doctor check, in the order they print.
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PaddockClient } from '@paddock/client';
import { checkCgroups } from './cgroup-check.ts';
import type { DoctorCheck } from './check.ts';
import { checkCheckpoint } from './checkpoint-check.ts';
import { checkDataDir } from './data-dir-check.ts';
import { checkBwrap, checkPerl, checkRunsc, checkSocat } from './host-binaries.ts';
import { checkRoot, checkUserNamespaces, type ReadText } from './kernel-checks.ts';
import { checkNodeVersion } from './node-check.ts';
import { checkServer } from './server-check.ts';

export const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Whether this process may write `path` (for the cgroup files a delegated subtree opens). */
function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The server's data directory as `paddock up` would pick it: --home > PADDOCK_HOME > ~/.paddock. */
export function dataDir(
  home: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return home ?? env.PADDOCK_HOME ?? join(homedir(), '.paddock');
}

export async function runDoctor(input: {
  env: Readonly<Record<string, string | undefined>>;
  home: string | undefined;
  client: PaddockClient;
}): Promise<DoctorCheck[]> {
  const path = input.env.PATH ?? '';
  const uid = process.getuid?.() ?? -1;
  return [
    checkNodeVersion(process.versions.node),
    checkBwrap(path),
    checkRunsc(path),
    checkCheckpoint(path),
    checkSocat(path),
    checkPerl(path),
    checkRoot(uid),
    checkCgroups(
      {
        mountinfo: readText('/proc/self/mountinfo') ?? '',
        procCgroup: readText('/proc/self/cgroup') ?? '',
        uid,
      },
      readText,
      isWritable,
    ),
    checkUserNamespaces(readText, uid),
    checkDataDir(dataDir(input.home, input.env)),
    await checkServer(input.client),
  ];
}
