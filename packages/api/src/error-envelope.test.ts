import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, PaddockError } from '@paddock/core';
import { ErrorEnvelope, fromEnvelope, toEnvelope } from './error-envelope.ts';

describe('error envelope', () => {
  for (const code of Object.values(ErrorCode)) {
    it(`round-trips ${code} through JSON`, () => {
      const details = { issues: [{ path: 'spec.x', message: 'bad' }], n: 1, ok: null };
      const original = new PaddockError(code, `boom ${code}`, details);
      const wire = JSON.parse(JSON.stringify(toEnvelope(original, 'req-1')));
      assert.deepEqual(ErrorEnvelope.parse(wire), wire);
      assert.deepEqual(wire, {
        error: { code, message: `boom ${code}`, details, requestId: 'req-1' },
      });
      const back = fromEnvelope(wire);
      assert.ok(back instanceof PaddockError);
      assert.equal(back.code, code);
      assert.equal(back.message, original.message);
      assert.deepEqual(back.details, { ...details, requestId: 'req-1' });
    });
  }

  it('keeps every policy violation', () => {
    const violations = [
      { code: 'cpu_limit_exceeded', field: 'spec.resources.cpu', message: 'cpu 8 exceeds 2' },
      { code: 'timeout_exceeded', field: 'spec.timeout', message: 'timeout 2h exceeds 1h' },
    ];
    const error = new PaddockError(ErrorCode.PolicyViolation, 'refused', { violations });
    const back = fromEnvelope(JSON.parse(JSON.stringify(toEnvelope(error, 'r'))));
    assert.deepEqual(back.details.violations, violations);
  });

  it('turns an unknown code into internal, keeping the original code and status', () => {
    const back = fromEnvelope(
      { error: { code: 'quota_melted', message: 'new server', details: {}, requestId: 'r9' } },
      418,
    );
    assert.equal(back.code, ErrorCode.Internal);
    assert.equal(back.message, 'new server');
    assert.deepEqual(back.details, { requestId: 'r9', status: 418, originalCode: 'quota_melted' });
  });

  it('turns a body that is no envelope into internal', () => {
    for (const body of [null, 'Bad Gateway', { message: 'x' }, { error: 'x' }, []]) {
      const back = fromEnvelope(body, 502);
      assert.equal(back.code, ErrorCode.Internal);
      assert.equal(back.message, 'unexpected HTTP 502');
    }
  });

  it('keeps a known code when only the details are malformed', () => {
    const back = fromEnvelope({ error: { code: 'conflict', message: 'stale', details: 'x' } }, 409);
    assert.equal(back.code, ErrorCode.Conflict);
    assert.equal(back.message, 'stale');
  });

  it('rejects an envelope with an unknown code', () => {
    const result = ErrorEnvelope.safeParse({
      error: { code: 'nope', message: 'm', details: {}, requestId: 'r' },
    });
    assert.equal(result.success, false);
  });
});
