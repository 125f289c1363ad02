import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { cgroupDir, parseCgroupMounts, parseProcCgroup, v1Dirs, v2Dir } from './cgroup-detect.ts';
import {
  cgroupV1Settings,
  cgroupV2Settings,
  cpuQuotaUs,
  DEFAULT_LIMITS,
  resolveLimits,
  rlimitsOf,
} from './resource-limits.ts';

describe('resolveLimits', () => {
  it('turns quantities into bytes and millicores, with defaults', () => {
    assert.deepEqual(resolveLimits({ memory: '512Mi', cpu: '1500m', pids: 64 }, DEFAULT_LIMITS), {
      memoryBytes: 512 * 1024 * 1024,
      cpuMillis: 1500,
      pids: 64,
    });
    assert.deepEqual(resolveLimits({ memory: '1G', cpu: '2' }, DEFAULT_LIMITS), {
      memoryBytes: 1_000_000_000,
      cpuMillis: 2000,
      pids: 512,
    });
    assert.deepEqual(resolveLimits(undefined, { memoryBytes: 1024, pids: 7 }), {
      memoryBytes: 1024,
      pids: 7,
    });
    assert.throws(
      () => resolveLimits({ memory: '0' }, DEFAULT_LIMITS),
      (e) => isPaddockError(e, 'validation_failed'),
    );
  });

  it('writes cgroup v1, cgroup v2 and rlimit settings', () => {
    const limits = { memoryBytes: 1048576, cpuMillis: 250, pids: 10 };
    assert.equal(cpuQuotaUs(250), 25_000);
    assert.equal(cpuQuotaUs(1), 1000);
    assert.deepEqual(
      cgroupV1Settings(limits, true).map((s) => `${s.controller}/${s.file}=${s.value}`),
      [
        'memory/memory.limit_in_bytes=1048576',
        'memory/memory.memsw.limit_in_bytes=1048576',
        'pids/pids.max=10',
        'cpu/cpu.cfs_period_us=100000',
        'cpu/cpu.cfs_quota_us=25000',
      ],
    );
    assert.deepEqual(
      cgroupV2Settings(limits, true).map((s) => `${s.file}=${s.value}`),
      ['memory.max=1048576', 'memory.swap.max=0', 'pids.max=10', 'cpu.max=25000 100000'],
    );
    assert.ok(
      !cgroupV2Settings({ memoryBytes: 1, pids: 1 }, false).some((s) => s.controller === 'cpu'),
    );
    assert.deepEqual(rlimitsOf(limits), [
      { resource: 2, value: 1048576 },
      { resource: 6, value: 10 },
    ]);
  });
});

describe('cgroup detection', () => {
  const mountinfo = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const procCgroup = [
    '4:memory:/svc/a',
    '2:cpu,cpuacct:/',
    '8:pids:/svc',
    '0::/user.slice/x.scope',
    '',
  ].join('\n');

  it('finds the current cgroup of each v1 controller and of v2', () => {
    const mounts = parseCgroupMounts(mountinfo);
    const procs = parseProcCgroup(procCgroup);
    assert.deepEqual(v1Dirs(mounts, procs), {
      memory: '/sys/fs/cgroup/memory/svc/a',
      cpu: '/sys/fs/cgroup/cpu,cpuacct',
      pids: '/sys/fs/cgroup/pids/svc',
    });
    assert.equal(v2Dir(mounts, procs), '/sys/fs/cgroup/unified/user.slice/x.scope');
    assert.equal(
      v1Dirs(
        mounts.filter((m) => !m.controllers.includes('pids')),
        procs,
      ),
      undefined,
    );
  });

  it('maps paths of a mount whose root is not the hierarchy root (a cgroup namespace)', () => {
    const mount = {
      version: 2 as const,
      mountPoint: '/sys/fs/cgroup',
      root: '/kubepods/pod1',
      controllers: [],
    };
    assert.equal(cgroupDir(mount, '/kubepods/pod1/c'), '/sys/fs/cgroup/c');
    assert.equal(cgroupDir(mount, '/elsewhere'), undefined);
  });
});
