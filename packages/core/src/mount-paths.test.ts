import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from './errors.ts';
import { allowedRootOf, hostPathProblem, isPathWithin, mountPathProblem } from './mount-paths.ts';
import { Mount, TemplateSpec } from './template.ts';
import { parseInput } from './validation.ts';

describe('mount paths', () => {
  it('takes a mount point outside the system and inside the sandbox’s own directories', () => {
    for (const path of ['/data', '/mnt/models', '/workspace/data', '/home/user/.cache', '/opt/x'])
      assert.equal(mountPathProblem(path), undefined, path);
  });

  it('refuses the root, system paths, what contains them, and the own directories themselves', () => {
    const refused: Array<[string, RegExp]> = [
      ['/', /sandbox root/],
      ['/etc', /system path \/etc/],
      ['/usr/local/bin', /system path \/usr/],
      ['/proc/self', /system path \/proc/],
      ['/dev', /system path \/dev/],
      ['/run', /system path \/run\/paddock/],
      ['/run/paddock/x', /system path \/run\/paddock/],
      ['/workspace', /\/workspace/],
      ['/home', /\/home\/user/],
      ['/home/user', /\/home\/user/],
      ['/tmp', /\/tmp/],
      ['/data/../etc', /normalised/],
      ['/data/', /normalised/],
      ['//data', /normalised/],
    ];
    for (const [path, reason] of refused) assert.match(mountPathProblem(path) ?? '', reason, path);
  });

  it('refuses the host root and unnormalised host paths, and matches roots on boundaries', () => {
    assert.match(hostPathProblem('/') ?? '', /host root/);
    assert.match(hostPathProblem('/srv/../etc') ?? '', /normalised/);
    assert.equal(hostPathProblem('/srv/data'), undefined);
    assert.equal(allowedRootOf('/srv/data/x', ['/srv/data']), '/srv/data');
    assert.equal(allowedRootOf('/srv/database', ['/srv/data']), undefined);
    assert.ok(isPathWithin('/srv', '/srv'));
  });
});

describe('Mount schema', () => {
  const parseSpec = (mounts: unknown[]) => {
    try {
      parseInput(TemplateSpec, { mounts }, 'template spec', 'spec');
      return [];
    } catch (error) {
      assert.ok(isPaddockError(error, 'validation_failed'));
      return (error.details as { issues: Array<{ path: string; message: string }> }).issues;
    }
  };

  it('accepts a read-only host mount and a credential mount', () => {
    assert.deepEqual(
      parseSpec([
        { name: 'models', mountPath: '/models', hostPath: '/srv/models', readOnly: true },
        { name: 'login', mountPath: '/home/user/.claude', credential: 'claude' },
      ]),
      [],
    );
  });

  it('names the field of every bad value', () => {
    const issues = parseSpec([
      { name: 'a', mountPath: '/etc/x', hostPath: '/srv' },
      { name: 'b', mountPath: '/b', hostPath: '/' },
      { name: 'c', mountPath: '/c' },
      { name: 'd', mountPath: '/d', hostPath: '/srv', credential: 'x' },
      { name: 'e', mountPath: 'relative', hostPath: '/srv' },
    ]);
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [
        'spec.mounts[0].mountPath',
        'spec.mounts[1].hostPath',
        'spec.mounts[2].hostPath',
        'spec.mounts[3].credential',
        'spec.mounts[4].mountPath',
      ],
    );
    assert.match(issues[2]?.message ?? '', /exactly one source/);
  });

  it('is the schema of one mount too', () => {
    assert.equal(Mount.safeParse({ name: 'a', mountPath: '/a', hostPath: '/a/b' }).success, true);
  });
});
