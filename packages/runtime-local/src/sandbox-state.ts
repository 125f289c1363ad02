import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, rename, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type SandboxEnvironment as Environment,
  ErrorCode,
  PaddockError,
  ResourceName,
  SandboxEnvironment,
  type SandboxRef,
} from '@paddock/core';
import { z } from 'zod';

const Identity = z.strictObject({
  pid: z.int().positive(),
  startTicks: z.string(),
  bootId: z.string(),
});

/** The running incarnation of a sandbox: its bwrap monitor and the init in its namespaces. */
const Incarnation = z.strictObject({
  monitor: Identity,
  /** pid 1 of the sandbox's pid namespace; every namespace is entered through it. */
  anchor: Identity,
  startedAt: z.string(),
});
export type Incarnation = z.infer<typeof Incarnation>;

/** `state.json`: what the runtime recorded about one sandbox, read back on every operation. */
export const SandboxState = z.strictObject({
  version: z.literal(1),
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  /** The host uid (and gid) the sandbox user maps to. */
  hostUid: z.int().nonnegative(),
  spec: SandboxEnvironment,
  /** The roots `hostPath` mounts must resolve inside, from the provision request (none when absent). */
  allowedHostPaths: z.array(z.string()).optional(),
  /** Extra env for every process, from the provision request. */
  env: z.record(z.string(), z.string()),
  createdAt: z.string(),
  limits: z.strictObject({
    mechanism: z.enum(['cgroup-v2', 'cgroup-v1', 'rlimit']),
    cgroups: z.array(z.string()),
  }),
  /** Present while it should be running; removed by `stop`. */
  incarnation: Incarnation.optional(),
  /** Mount paths of its read-only files, `readonly/<i>` in order (`readonly-files.ts`). */
  readOnlyMounts: z.array(z.string()).optional(),
  /** Its host name when not its name: a claimed warm sandbox answers to its claimant's. */
  hostname: z.string().optional(),
});
export type SandboxState = z.infer<typeof SandboxState>;

/** The sandbox's host name (UTS name, `/etc/hostname`, `$HOSTNAME`). */
export function hostnameOf(state: SandboxState): string {
  return state.hostname ?? state.name;
}
export type SandboxSpec = Environment;

/** The on-disk layout of one sandbox under the runtime's root: `<root>/<namespace>/<name>/`. */
export class SandboxDirs {
  readonly dir: string;
  constructor(root: string, ref: Pick<SandboxRef, 'namespace' | 'name'>) {
    for (const [field, value] of [
      ['namespace', ref.namespace],
      ['name', ref.name],
    ] as const) {
      if (!ResourceName.safeParse(value).success || value.includes('.')) {
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          `invalid sandbox ${field} ${JSON.stringify(value)}`,
          {
            issues: [{ path: field, message: 'must be a DNS label' }],
          },
        );
      }
    }
    this.dir = join(root, ref.namespace, ref.name);
  }
  get state(): string {
    return join(this.dir, 'state.json');
  }
  get workspace(): string {
    return join(this.dir, 'workspace');
  }
  get home(): string {
    return join(this.dir, 'home');
  }
  /** Generated passwd, group, hosts and hostname. */
  get etc(): string {
    return join(this.dir, 'etc');
  }
  get logs(): string {
    return join(this.dir, 'logs');
  }
  get procs(): string {
    return join(this.dir, 'procs');
  }
  /** Short-lived files handed to processes being started (their environment). */
  get run(): string {
    return join(this.dir, 'run');
  }
  get egress(): string {
    return join(this.dir, 'egress');
  }
  /** Its mtime is the last exec, terminal or port activity. */
  get activity(): string {
    return join(this.dir, 'activity');
  }
}

export function readState(dirs: SandboxDirs): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(dirs.state, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = SandboxState.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new PaddockError(ErrorCode.Internal, `corrupt sandbox state in ${dirs.state}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/** Replaces a file atomically (write beside it, then rename), readable by root only. */
export function writeFileAtomic(path: string, data: string): void {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  renameSync(temp, path);
}

/** The text of `state.json`. */
export function stateText(state: SandboxState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * Replaces `state.json` atomically, off the event loop: on a busy disk a create's writes and
 * renames wait for the journal, which the event loop must not.
 */
export async function writeState(dirs: SandboxDirs, state: SandboxState): Promise<void> {
  const temp = `${dirs.state}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, stateText(state), { mode: 0o600 });
  await rename(temp, dirs.state);
}

/**
 * Records activity now (the mtime of `activity`). Off the event loop: a metadata write on the
 * host's disk, which waits for its journal when the disk is busy.
 */
export async function touchActivity(dirs: SandboxDirs): Promise<void> {
  const now = new Date();
  try {
    await utimes(dirs.activity, now, now);
  } catch {
    // Made on the first activity; not once the sandbox's directory is gone.
    await writeFile(dirs.activity, '', { flag: 'a' }).catch(() => {});
  }
}

/**
 * The last activity, if any. A new sandbox's `activity` file is made with it, dated 1970
 * (`NO_ACTIVITY_S`: none yet), so that its first exec only dates it (one system call on the
 * exec's path, not three and a new file).
 */
export async function lastActivity(dirs: SandboxDirs): Promise<string | undefined> {
  // On the event loop: a stat reads cached metadata (no journal to wait for), where a trip
  // through the thread pool cost 15 times its CPU (a wake of a worker on a busy host).
  const mtimeMs = statSync(dirs.activity, { throwIfNoEntry: false })?.mtimeMs;
  if (mtimeMs === undefined || mtimeMs === NO_ACTIVITY_S * 1000) return undefined;
  return new Date(mtimeMs).toISOString();
}

/** The date of an `activity` file that records no activity yet, in seconds since 1970. */
export const NO_ACTIVITY_S = 0;

/** Every `<namespace>/<name>` directory under the root that holds a state file. */
export function listSandboxDirs(root: string): Array<{ namespace: string; name: string }> {
  if (!existsSync(root)) return [];
  const found: Array<{ namespace: string; name: string }> = [];
  for (const namespace of readdirSync(root)) {
    const nsDir = join(root, namespace);
    if (!statSync(nsDir).isDirectory()) continue;
    for (const name of readdirSync(nsDir)) {
      if (existsSync(join(nsDir, name, 'state.json'))) found.push({ namespace, name });
    }
  }
  return found.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

export function ensureDir(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
}

/** `ensureDir` off the event loop. */
export async function makeDir(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}
