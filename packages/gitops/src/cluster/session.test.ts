import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { parse } from 'yaml';
import { listSessions, readSession, type Session, sessionPath, writeSession } from './session.ts';

const session: Session = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'ClusterSession',
  name: 'dev',
  mode: 'k3d',
  state: 'running',
  createdAt: '2026-12-06T10:00:00.000Z',
  updatedAt: '2026-12-06T10:05:00.000Z',
  nodeCount: 1,
  kubeconfig: '/home/u/.paddock/clusters/dev/kubeconfig',
  context: 'k3d-dev',
  ports: { api: 6551, http: 8080, https: 8443 },
  urls: { api: 'https://127.0.0.1:6551', argocd: 'http://argocd.localhost:8080' },
  credentials: { argocdAdminPassword: 's3cret' },
  bootstrap: { version: '0.1.0', cilium: '1.19.5', argocd: '9.5.4', paddock: '0.1.0' },
};

describe('session.yaml', () => {
  const home = mkdtempSync(join(tmpdir(), 'session-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('round-trips through the file: what is read back equals what was written', () => {
    writeSession(home, session);
    assert.deepEqual(readSession(home, 'dev'), session);
    assert.equal(parse(readFileSync(sessionPath(home, 'dev'), 'utf8')).state, 'running');
  });

  it('is written atomically, readable by the owner alone, with no temporary file left', () => {
    writeSession(home, { ...session, state: 'stopped' });
    assert.deepEqual(readdirSync(join(home, 'clusters', 'dev')), ['session.yaml']);
    assert.equal(statSync(sessionPath(home, 'dev')).mode & 0o777, 0o600);
    assert.equal(readSession(home, 'dev').state, 'stopped');
  });

  it('lists every cluster by name; a missing one is not_found, a damaged one names its problems', () => {
    writeSession(home, { ...session, name: 'another' });
    assert.deepEqual(
      listSessions(home).map((s) => s.name),
      ['another', 'dev'],
    );
    assert.throws(
      () => readSession(home, 'nope'),
      (e) => isPaddockError(e, ErrorCode.NotFound),
    );
    writeFileSync(
      sessionPath(home, 'another'),
      'apiVersion: paddock.dev/v1alpha1\nkind: ClusterSession\nname: another\nstate: exploded\n',
    );
    assert.throws(
      () => readSession(home, 'another'),
      (e) =>
        isPaddockError(e, ErrorCode.ValidationFailed) &&
        e.message.includes('state') &&
        e.message.includes('mode'),
    );
  });

  it('refuses a session that does not match the schema before writing anything', () => {
    assert.throws(() => writeSession(home, { ...session, name: 'Bad_Name' }));
    assert.throws(() => writeSession(home, { ...session, ports: { api: 70_000 } }));
    assert.deepEqual(readdirSync(join(home, 'clusters')).sort(), ['another', 'dev']);
  });
});
