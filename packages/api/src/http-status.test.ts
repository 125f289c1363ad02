import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { httpStatusFor } from './http-status.ts';

const EXPECTED: Record<ErrorCode, number> = {
  validation_failed: 400,
  template_invalid: 400,
  path_outside_sandbox: 400,
  unauthenticated: 401,
  forbidden: 403,
  policy_violation: 403,
  not_found: 404,
  sandbox_not_found: 404,
  template_not_found: 404,
  method_not_allowed: 405,
  already_exists: 409,
  conflict: 409,
  invalid_transition: 409,
  sandbox_paused: 409,
  expired: 410,
  payload_too_large: 413,
  rate_limited: 429,
  runtime_unavailable: 503,
  timeout: 504,
  insufficient_storage: 507,
  internal: 500,
};

describe('httpStatusFor', () => {
  it('answers every error code with the documented status', () => {
    const actual = Object.fromEntries(
      Object.values(ErrorCode).map((code) => [code, httpStatusFor(code)]),
    );
    assert.deepEqual(actual, EXPECTED);
  });

  it('never answers an error with a success or redirect status', () => {
    for (const code of Object.values(ErrorCode)) {
      const status = httpStatusFor(code);
      assert.ok(status >= 400 && status <= 599, `${code} → ${status}`);
    }
  });

  it('covers the statuses the API promises', () => {
    const statuses = new Set(Object.values(ErrorCode).map(httpStatusFor));
    for (const status of [400, 401, 403, 404, 409, 413, 429, 500, 507]) {
      assert.ok(statuses.has(status), `no code answers ${status}`);
    }
  });
});
