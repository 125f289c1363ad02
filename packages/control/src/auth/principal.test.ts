import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import {
  ANONYMOUS_ADMIN,
  canSee,
  isAdmin,
  type Principal,
  requireAdmin,
  requireVisible,
} from './principal.ts';

const admin: Principal = { id: 'root', roles: ['admin'], via: 'oidc' };
const alice: Principal = { id: 'alice', roles: ['user'], via: 'api-key' };
const nobody: Principal = { id: 'carol', roles: [], via: 'oidc' };

describe('visibility', () => {
  it('lets admins see everything, owned, shared or not', () => {
    assert.equal(isAdmin(admin), true);
    assert.equal(isAdmin(ANONYMOUS_ADMIN), true);
    assert.equal(canSee(admin, 'bob', undefined), true);
    assert.equal(canSee(admin, undefined, undefined), true);
  });

  it('lets a user see its own and shared objects only', () => {
    assert.equal(isAdmin(alice), false);
    assert.equal(canSee(alice, 'alice', undefined), true);
    assert.equal(canSee(alice, 'bob', ['alice']), true);
    assert.equal(canSee(alice, 'bob', ['dave']), false);
    assert.equal(canSee(alice, 'bob', undefined), false);
    assert.equal(canSee(alice, undefined, undefined), false);
  });

  it('lets a principal without a role see nothing, even what it owns', () => {
    assert.equal(canSee(nobody, 'carol', ['carol']), false);
  });

  it('hides what a user cannot see as not_found, and refuses non-admins as forbidden', () => {
    assert.throws(
      () => requireVisible(alice, 'bob', [], 'sandbox default/web'),
      (error) =>
        isPaddockError(error, ErrorCode.NotFound) && /sandbox default\/web/.test(error.message),
    );
    assert.doesNotThrow(() => requireVisible(alice, 'alice', [], 'sandbox default/web'));
    assert.throws(
      () => requireAdmin(alice, 'listing audit'),
      (e) => isPaddockError(e, ErrorCode.Forbidden),
    );
    assert.doesNotThrow(() => requireAdmin(admin, 'listing audit'));
  });
});
