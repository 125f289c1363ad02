import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, PaddockError } from '@paddock/core';
import {
  asPaddockError,
  ExitCode,
  exitCodeFor,
  formatError,
  hintFor,
  shouldColor,
} from './exit-codes.ts';

describe('exit codes', () => {
  it('maps every ErrorCode to a non-zero exit code of the table', () => {
    const allowed = new Set<number>(Object.values(ExitCode));
    for (const code of Object.values(ErrorCode)) {
      const exit = exitCodeFor(code);
      assert.ok(allowed.has(exit), `${code} → ${exit}`);
      assert.notEqual(exit, ExitCode.Ok, code);
    }
  });

  it('groups codes into families scripts can rely on', () => {
    assert.equal(exitCodeFor('internal'), 1);
    assert.equal(exitCodeFor('validation_failed'), 2);
    for (const code of ['not_found', 'sandbox_not_found', 'template_not_found'] as const) {
      assert.equal(exitCodeFor(code), 3, code);
    }
    assert.equal(exitCodeFor('already_exists'), 4);
    assert.equal(exitCodeFor('conflict'), 4);
    assert.equal(exitCodeFor('policy_violation'), 5);
    assert.equal(exitCodeFor('forbidden'), 5);
    assert.equal(exitCodeFor('unauthenticated'), 6);
    assert.equal(exitCodeFor('runtime_unavailable'), 7);
    assert.equal(exitCodeFor('timeout'), 7);
    assert.equal(exitCodeFor('insufficient_storage'), 7);
  });

  it('has a hint for the codes people hit first, and none that is empty', () => {
    for (const code of Object.values(ErrorCode)) assert.notEqual(hintFor(code), '', code);
    assert.match(hintFor('runtime_unavailable') ?? '', /paddock up.*PADDOCK_URL/);
    assert.match(hintFor('unauthenticated') ?? '', /PADDOCK_TOKEN/);
    assert.match(hintFor('insufficient_storage') ?? '', /disk is full.*sandbox delete/);
  });
});

describe('formatError', () => {
  const error = new PaddockError('policy_violation', 'refused by policy', {
    violations: [
      { code: 'cpu_limit_exceeded', field: 'spec.resources.cpu', message: 'cpu 1 > 100m' },
    ],
  });

  it('prints the code, the message, each violation and the hint, without colour', () => {
    assert.equal(
      formatError(error, { isColor: false }),
      'paddock: policy_violation: refused by policy\n' +
        '  - cpu_limit_exceeded: cpu 1 > 100m\n' +
        `hint: ${hintFor('policy_violation')}\n`,
    );
  });

  it('colours only when asked', () => {
    assert.ok(
      formatError(error, { isColor: true }).includes('\u001b[1;31mpolicy_violation\u001b[0m'),
    );
    assert.ok(!formatError(error, { isColor: false }).includes('\u001b'));
  });

  it('colours only on a TTY and never with NO_COLOR', () => {
    assert.equal(shouldColor({ isTTY: true }, {}), true);
    assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(shouldColor({ isTTY: false }, {}), false);
    assert.equal(shouldColor({}, {}), false);
  });

  it('turns unknown failures into internal errors', () => {
    const wrapped = asPaddockError(new TypeError('boom'));
    assert.equal(wrapped.code, 'internal');
    assert.equal(wrapped.message, 'boom');
    const same = new PaddockError('conflict', 'stale');
    assert.equal(asPaddockError(same), same);
  });
});
