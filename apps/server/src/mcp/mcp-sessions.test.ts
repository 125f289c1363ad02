import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Principal, PrincipalVia } from '@paddock/control';
import { Role } from '@paddock/core';
import { isSameCaller, McpSessions } from './mcp-sessions.ts';

const alice: Principal = { id: 'alice', roles: [Role.User], via: PrincipalVia.ApiKey, keyId: 'k1' };

function session(principal: Principal = alice) {
  const s = {
    principal,
    closed: 0,
    close: async () => {
      s.closed += 1;
    },
  };
  return s;
}

describe('MCP sessions', () => {
  it('gives a session only to the caller that opened it', () => {
    const sessions = new McpSessions();
    const s = session();
    sessions.add('a', s);
    assert.equal(sessions.get('a', alice), s);
    assert.equal(sessions.get('a', { ...alice, id: 'bob' }), undefined);
    assert.equal(sessions.get('a', { ...alice, keyId: 'k2' }), undefined);
    assert.equal(
      sessions.get('a', { ...alice, roles: [Role.Admin], via: PrincipalVia.Oidc }),
      undefined,
    );
    assert.equal(sessions.get('b', alice), undefined);
    sessions.delete('a');
  });

  it('goes on with a refreshed OIDC token of the same subject', () => {
    const oidc: Principal = { id: 'sub-1', roles: [Role.User], via: PrincipalVia.Oidc };
    assert.ok(isSameCaller(oidc, { ...oidc, roles: [Role.User] }));
    assert.ok(!isSameCaller(oidc, { ...oidc, id: 'sub-2' }));
  });

  it('ends a session idle for the timeout, not one with a request in flight', async () => {
    const sessions = new McpSessions(50);
    const idle = session();
    const busy = session();
    sessions.add('idle', idle);
    sessions.add('busy', busy);
    const done = sessions.begin('busy');
    await sleep(150);
    assert.equal(idle.closed, 1);
    assert.equal(sessions.get('idle', alice), undefined);
    assert.equal(busy.closed, 0);
    done();
    await sleep(150);
    assert.equal(busy.closed, 1);
    assert.equal(sessions.size, 0);
  });

  it('ends every session at shutdown', async () => {
    const sessions = new McpSessions();
    const [a, b] = [session(), session()];
    sessions.add('a', a);
    sessions.add('b', b);
    await sessions.closeAll();
    assert.deepEqual([a.closed, b.closed, sessions.size], [1, 1, 0]);
  });
});
