// The examples in docs/ run as written: each is executed and its key output checked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

function run(file: string): string {
  return execFileSync(process.execPath, [new URL(file, import.meta.url).pathname], {
    encoding: 'utf8',
  });
}

describe('examples', () => {
  it('resolve-template.ts prints the chain, provenance and the refused override', () => {
    const out = run('./resolve-template.ts');
    assert.match(out, /chain: ClusterSandboxTemplate\/base → SandboxTemplate\/python/);
    assert.match(out, /"env\.DEBUG": "Sandbox\/demo"/);
    assert.match(out, /refused override: resources: /);
  });

  it('evaluate-policy.ts lists every violation', () => {
    const codes = run('./evaluate-policy.ts')
      .split('\n')
      .filter((line) => line.includes('\t'))
      .map((line) => line.split('\t')[0]);
    assert.deepEqual(codes, [
      'cpu_limit_exceeded',
      'timeout_exceeded',
      'egress_domain_not_allowed',
      'user_quota_exceeded',
    ]);
  });
});
