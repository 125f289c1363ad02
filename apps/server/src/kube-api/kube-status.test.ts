import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, PaddockError } from '@paddock/core';
import { kubeStatusOf } from './kube-status.ts';

describe('errors as Kubernetes Status objects', () => {
  it('answers every error code with an HTTP status and a reason', () => {
    for (const code of Object.values(ErrorCode)) {
      const { http, body } = kubeStatusOf(new PaddockError(code, 'x'));
      assert.ok(http >= 400 && http < 600, code);
      assert.equal(body.code, http);
      assert.equal(body.kind, 'Status');
      assert.match(body.reason, /^[A-Z][A-Za-z]+$/, code);
    }
  });

  it('names fields of a validation failure and each violation of a policy refusal as causes', () => {
    const invalid = kubeStatusOf(
      new PaddockError(ErrorCode.ValidationFailed, 'bad', {
        issues: [{ path: 'spec.desiredState', message: 'must be Running or Stopped' }],
      }),
    );
    assert.equal(invalid.http, 422);
    assert.deepEqual(invalid.body.details?.causes, [
      {
        reason: 'FieldValueInvalid',
        message: 'must be Running or Stopped',
        field: 'spec.desiredState',
      },
    ]);
    const refused = kubeStatusOf(
      new PaddockError(ErrorCode.PolicyViolation, 'refused', {
        violations: [
          { code: 'cpu_limit_exceeded', field: 'spec.resources.cpu', message: 'over 2' },
          { code: 'timeout_exceeded', field: 'spec.timeout', message: 'over 1h' },
        ],
      }),
    );
    assert.deepEqual([refused.http, refused.body.reason], [403, 'Forbidden']);
    assert.deepEqual(
      refused.body.details?.causes?.map((c) => [c.reason, c.field]),
      [
        ['cpu_limit_exceeded', 'spec.resources.cpu'],
        ['timeout_exceeded', 'spec.timeout'],
      ],
    );
  });

  it('words NotFound and AlreadyExists as kubectl expects, and a compacted watch as 410 Expired', () => {
    const target = { group: 'paddock.dev', kind: 'sandboxes', name: 'web' };
    const missing = kubeStatusOf(
      new PaddockError(ErrorCode.NotFound, 'Sandbox default/web not found'),
      target,
    );
    assert.equal(missing.body.message, 'sandboxes.paddock.dev "web" not found');
    assert.deepEqual(missing.body.details, target);
    const taken = kubeStatusOf(new PaddockError(ErrorCode.AlreadyExists, 'exists'), target);
    assert.equal(taken.body.message, 'sandboxes.paddock.dev "web" already exists');
    const expired = kubeStatusOf(new PaddockError(ErrorCode.Expired, 'too old'));
    assert.deepEqual([expired.http, expired.body.reason], [410, 'Expired']);
  });
});
