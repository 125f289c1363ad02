import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { createRunTokens, RUN_TOKEN_PREFIX } from './run-tokens.ts';

const grant = { runUid: 'u1', namespace: 'default', runName: 'r', user: 'alice' };

describe('run tokens', () => {
  it('round-trips a grant and survives a new instance with the same secret', () => {
    const secret = randomBytes(32);
    const token = createRunTokens(secret).issue(grant, 60_000);
    assert.ok(token.startsWith(RUN_TOKEN_PREFIX));
    assert.deepEqual(createRunTokens(secret).verify(token), grant);
    assert.equal(createRunTokens(randomBytes(32)).verify(token), undefined);
  });

  it('rejects a token whose payload was changed, however the mac is kept', () => {
    const tokens = createRunTokens(randomBytes(32));
    const token = tokens.issue(grant, 60_000);
    const [payload, mac] = token.slice(RUN_TOKEN_PREFIX.length).split('.');
    const changed = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    changed.grant.user = 'mallory';
    const forged = `${RUN_TOKEN_PREFIX}${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${mac}`;
    assert.equal(tokens.verify(forged), undefined);
    for (const bad of ['', 'pgt_', `${token}.x`, token.replace(RUN_TOKEN_PREFIX, 'sk_')]) {
      assert.equal(tokens.verify(bad), undefined, bad);
    }
  });

  it('expires after ttlMs by the clock it is given', () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const tokens = createRunTokens(randomBytes(32), { now: () => now });
    const token = tokens.issue(grant, 5_000);
    const expiresAtMs = now.getTime() + 5_000;
    now = new Date(now.getTime() + 4_999);
    assert.deepEqual(tokens.verify(token), grant);
    assert.deepEqual(tokens.accept(token), { grant, expiresAtMs }, 'accept says when');
    now = new Date(now.getTime() + 1);
    assert.equal(tokens.verify(token), undefined);
    assert.equal(tokens.accept(token), undefined);
  });

  it('refuses a short secret, a bad grant and a non-positive ttl', () => {
    const isValidation = (error: unknown) => isPaddockError(error, ErrorCode.ValidationFailed);
    assert.throws(() => createRunTokens(randomBytes(16)), isValidation);
    const tokens = createRunTokens(randomBytes(32));
    assert.throws(() => tokens.issue({ ...grant, runUid: '' }, 1000), isValidation);
    const { runUid: _uid, ...withoutUid } = grant;
    // @ts-expect-error the run's uid is what tells a run from a later one of the same name
    assert.throws(() => tokens.issue(withoutUid, 1000), isValidation);
    assert.throws(() => tokens.issue(grant, 0), isValidation);
  });
});
