import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordedEvent, ResourceEvent } from '@paddock/core';
import {
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
  uniqueName,
} from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { installCoreApiTestCrds } from '../testing/core-api-crds.ts';
import { KubeEventLog } from './kube-event-log.ts';
import { KubeEventRecorder } from './kube-event-recorder.ts';

describe('KubeEventLog against a real API server', { skip: kubeSkipReason ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  let recorder: KubeEventRecorder;
  let log: KubeEventLog;
  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCoreApiTestCrds(client, server);
    recorder = new KubeEventRecorder({ client, instance: 'test', seriesWindowMs: 0 });
    log = new KubeEventLog(client, recorder);
  });
  after(async () => {
    await log?.close();
    await recorder?.close();
    client?.close();
    await server?.stop();
  });

  const event = (namespace: string, name: string, reason: string): ResourceEvent => ({
    kind: 'Sandbox',
    namespace,
    name,
    uid: `uid-${name}`,
    type: reason === 'Failed' ? 'Warning' : 'Normal',
    reason,
    message: `${name} ${reason}`,
    timestamp: new Date().toISOString(),
  });
  const summary = (items: RecordedEvent[]) => items.map((e) => `${e.name} ${e.reason} ${e.type}`);

  it('reads what was recorded, by object, in both orders and by pages', async () => {
    const ns = uniqueName('evlog');
    for (const reason of ['Admitted', 'Provisioned', 'Failed']) log.record(event(ns, 'a', reason));
    log.record(event(ns, 'b', 'Admitted'));
    await recorder.flush();

    const ofA = await log.query({ namespace: ns, name: 'a' });
    assert.deepEqual(summary(ofA.items), [
      'a Admitted Normal',
      'a Provisioned Normal',
      'a Failed Warning',
    ]);
    assert.equal(ofA.items[0]?.uid, 'uid-a');
    assert.equal(ofA.items[0]?.message, 'a Admitted');
    assert.ok(ofA.items.every((e, i) => i === 0 || e.seq > (ofA.items[i - 1]?.seq ?? 0)));

    const newest = await log.query({
      namespace: ns,
      kind: 'Sandbox',
      order: 'newest-first',
      limit: 2,
    });
    assert.deepEqual(summary(newest.items), ['b Admitted Normal', 'a Failed Warning']);
    assert.ok(newest.continue !== undefined);
    const rest = await log.query({
      namespace: ns,
      order: 'newest-first',
      limit: 2,
      continue: newest.continue,
    });
    assert.deepEqual(summary(rest.items), ['a Provisioned Normal', 'a Admitted Normal']);
    assert.equal(rest.continue, undefined);
  });

  it('follows: what is there, then each new event as its write is watched', async () => {
    const ns = uniqueName('evlog');
    log.record(event(ns, 'f', 'Admitted'));
    await recorder.flush();
    const stop = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of log.follow({ namespace: ns, name: 'f' }, stop.signal)) {
        seen.push(e.reason);
        if (seen.length === 3) stop.abort();
      }
    })();
    log.record(event(ns, 'f', 'Provisioned'));
    log.record(event(ns, 'other', 'Admitted'));
    log.record(event(ns, 'f', 'Ready'));
    await following;
    assert.deepEqual(seen, ['Admitted', 'Provisioned', 'Ready']);
  });
});
