import {
  ErrorCode,
  PaddockError,
  parseQuantity,
  quantityToInteger,
  quantityToMilli,
  type Resources,
} from '@paddock/core';

/** The limits of one sandbox in host units. */
export type SandboxLimits = {
  memoryBytes: number;
  /** CPU in thousandths of a core; no CPU limit when absent. */
  cpuMillis?: number;
  pids: number;
};

export type DefaultLimits = { memoryBytes: number; pids: number };

export const DEFAULT_LIMITS: DefaultLimits = { memoryBytes: 2 * 1024 ** 3, pids: 512 };

/** CFS period used for CPU quotas (the kernel's default, 100 ms). */
export const CPU_PERIOD_US = 100_000;

function positive(field: string, value: bigint): number {
  if (value <= 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new PaddockError(ErrorCode.ValidationFailed, `resources.${field} must be positive`, {
      issues: [{ path: `resources.${field}`, message: 'must be positive' }],
    });
  }
  return Number(value);
}

/** Resolves a template's `resources` to host units, with defaults for memory and pids. */
export function resolveLimits(
  resources: Resources | undefined,
  defaults: DefaultLimits,
): SandboxLimits {
  const memoryBytes =
    resources?.memory === undefined
      ? defaults.memoryBytes
      : positive('memory', quantityToInteger(parseQuantity(resources.memory)));
  const limits: SandboxLimits = { memoryBytes, pids: resources?.pids ?? defaults.pids };
  if (resources?.cpu !== undefined) {
    limits.cpuMillis = positive('cpu', quantityToMilli(parseQuantity(resources.cpu)));
  }
  return limits;
}

/** CFS quota in microseconds per `CPU_PERIOD_US` (at least the kernel's minimum of 1 ms). */
export function cpuQuotaUs(cpuMillis: number): number {
  return Math.max(1000, Math.round((cpuMillis * CPU_PERIOD_US) / 1000));
}

export type CgroupSetting = { controller: 'memory' | 'cpu' | 'pids'; file: string; value: string };

/** Files to write in each cgroup v1 controller, in order (memory before memory+swap). */
export function cgroupV1Settings(limits: SandboxLimits, hasMemsw: boolean): CgroupSetting[] {
  const settings: CgroupSetting[] = [
    { controller: 'memory', file: 'memory.limit_in_bytes', value: String(limits.memoryBytes) },
  ];
  // Equal memory and memory+swap limits: the sandbox cannot dodge its limit by swapping.
  if (hasMemsw) {
    settings.push({
      controller: 'memory',
      file: 'memory.memsw.limit_in_bytes',
      value: String(limits.memoryBytes),
    });
  }
  settings.push({ controller: 'pids', file: 'pids.max', value: String(limits.pids) });
  if (limits.cpuMillis !== undefined) {
    settings.push(
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(cpuQuotaUs(limits.cpuMillis)) },
    );
  }
  return settings;
}

/** Files to write in the sandbox's cgroup v2 directory. */
export function cgroupV2Settings(limits: SandboxLimits, hasSwap: boolean): CgroupSetting[] {
  const settings: CgroupSetting[] = [
    { controller: 'memory', file: 'memory.max', value: String(limits.memoryBytes) },
  ];
  if (hasSwap) settings.push({ controller: 'memory', file: 'memory.swap.max', value: '0' });
  settings.push({ controller: 'pids', file: 'pids.max', value: String(limits.pids) });
  if (limits.cpuMillis !== undefined) {
    settings.push({
      controller: 'cpu',
      file: 'cpu.max',
      value: `${cpuQuotaUs(limits.cpuMillis)} ${CPU_PERIOD_US}`,
    });
  }
  return settings;
}

/** One resource limit, soft and hard alike (`RLIMIT_*` numbers are the same on x86-64 and arm64). */
export type Rlimit = { resource: number; value: number };

const RLIMIT_DATA = 2;
const RLIMIT_NPROC = 6;

/**
 * The rlimits for when no cgroup can be used: the data segment bounds each process's memory (not
 * their sum) and the process count is per host uid (each sandbox has its own uid when Paddock
 * runs as root). No CPU quota exists as an rlimit.
 */
export function rlimitsOf(limits: SandboxLimits): Rlimit[] {
  return [
    { resource: RLIMIT_DATA, value: limits.memoryBytes },
    { resource: RLIMIT_NPROC, value: limits.pids },
  ];
}

/**
 * The rlimits bwrap starts with. Rootless, without the process count: the kernel counts processes
 * per user namespace and uid, and at each level above against the limit the namespace's creator
 * had, so a count on bwrap itself would cover every process of Paddock's uid (a sandbox would not
 * even start while Paddock runs more processes than its limit). Set on each entered process
 * instead, it counts the sandbox's own.
 */
export function launchRlimitsOf(limits: SandboxLimits, isRootless: boolean): Rlimit[] {
  const all = rlimitsOf(limits);
  return isRootless ? all.filter((r) => r.resource !== RLIMIT_NPROC) : all;
}
