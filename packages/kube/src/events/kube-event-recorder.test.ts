import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ResourceEvent } from '@paddock/core';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse, stringify } from 'yaml';
import { KubeClient } from '../client/kube-client.ts';
import { installCoreApiTestCrds } from '../testing/core-api-crds.ts';
import {
  type EventOutcome,
  type KubeEvent,
  KubeEventRecorder,
  NOTE_LIMIT_BYTES,
  truncateNote,
} from './kube-event-recorder.ts';

describe('truncateNote', () => {
  it('keeps a note within 1 KiB and cuts a longer one on a character boundary', () => {
    assert.equal(truncateNote('short'), 'short');
    const long = 'é'.repeat(1000); // 2000 bytes
    const cut = truncateNote(long);
    assert.ok(Buffer.byteLength(cut) <= NOTE_LIMIT_BYTES);
    assert.ok(Buffer.byteLength(cut) > NOTE_LIMIT_BYTES - 4);
    assert.match(cut, /^é+…$/);
  });
});

describe('KubeEventRecorder against a real API server', { skip: kubeSkipReason ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCoreApiTestCrds(client, server);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  const eventsIn = async (namespace: string): Promise<KubeEvent[]> =>
    (
      await client.request<{ items: KubeEvent[] }>(
        'GET',
        `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
      )
    ).items;

  const sandboxEvent = (
    namespace: string,
    overrides: Partial<ResourceEvent> = {},
  ): ResourceEvent => ({
    kind: 'Sandbox',
    namespace,
    name: 'box',
    uid: 'uid-1',
    type: 'Normal',
    reason: 'Started',
    message: 'the sandbox runs',
    timestamp: '2026-12-06T10:00:00.123Z',
    ...overrides,
  });

  it('writes an events.k8s.io/v1 Event regarding the Paddock object', async () => {
    const recorder = new KubeEventRecorder({ client, instance: 'controller-0' });
    recorder.record(sandboxEvent('ev-one'));
    await recorder.close();
    assert.deepEqual(recorder.stats(), {
      created: 1,
      series: 0,
      dropped: 0,
      invalid: 0,
      failed: 0,
    });
    const [event, ...rest] = await eventsIn('ev-one');
    assert.equal(rest.length, 0);
    assert.ok(event);
    assert.match(event.metadata.name, /^box\.[0-9a-f]+$/);
    assert.deepEqual(event.regarding, {
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      namespace: 'ev-one',
      name: 'box',
      uid: 'uid-1',
    });
    assert.equal(event.reportingController, 'paddock.dev/controller');
    assert.equal(event.reportingInstance, 'controller-0');
    assert.equal(event.type, 'Normal');
    assert.equal(event.reason, 'Started');
    assert.equal(event.action, 'Reconcile');
    assert.equal(event.note, 'the sandbox runs');
    assert.equal(event.eventTime, '2026-12-06T10:00:00.123000Z');
    assert.equal(event.series, undefined);
  });

  it('turns repeats into a series and keeps other notes apart', async () => {
    const recorder = new KubeEventRecorder({ client, instance: 'controller-0' });
    const warning = { type: 'Warning' as const, reason: 'ProvisionFailed', message: 'disk full' };
    recorder.record(sandboxEvent('ev-series', { ...warning, timestamp: '2026-12-06T10:00:00Z' }));
    recorder.record(sandboxEvent('ev-series', { ...warning, timestamp: '2026-12-06T10:00:01Z' }));
    recorder.record(sandboxEvent('ev-series', { ...warning, timestamp: '2026-12-06T10:00:02Z' }));
    recorder.record(sandboxEvent('ev-series', { ...warning, message: 'disk still full' }));
    // Past the series window: a new Event, not a fourth count.
    recorder.record(sandboxEvent('ev-series', { ...warning, timestamp: '2026-12-06T11:00:00Z' }));
    await recorder.close();
    assert.deepEqual(recorder.stats(), {
      created: 3,
      series: 2,
      dropped: 0,
      invalid: 0,
      failed: 0,
    });
    const events = await eventsIn('ev-series');
    const byTime = events
      .filter((e) => e.note === 'disk full')
      .sort((x, y) => x.eventTime.localeCompare(y.eventTime));
    assert.equal(byTime.length, 2);
    assert.deepEqual(byTime[0]?.series, {
      count: 3,
      lastObservedTime: '2026-12-06T10:00:02.000000Z',
    });
    assert.equal(byTime[0]?.type, 'Warning');
    assert.equal(byTime[1]?.series, undefined);
    assert.equal(events.filter((e) => e.note === 'disk still full').length, 1);
  });

  it('puts events of cluster-scoped objects in default and cuts long notes', async () => {
    const recorder = new KubeEventRecorder({ client, instance: 'controller-0' });
    recorder.record({
      kind: 'ClusterSandboxTemplate',
      name: 'base-unique-7',
      type: 'Warning',
      reason: 'Invalid',
      message: 'x'.repeat(5000),
      timestamp: '2026-12-06T10:00:00Z',
    });
    await recorder.close();
    const event = (await eventsIn('default')).find((e) => e.regarding.name === 'base-unique-7');
    assert.ok(event, 'the event is in default');
    assert.equal(event.regarding.namespace, undefined);
    assert.equal(Buffer.byteLength(event.note), NOTE_LIMIT_BYTES);
  });

  it('drops past a full queue, counts invalid events and never throws', async () => {
    const outcomes: EventOutcome[] = [];
    const recorder = new KubeEventRecorder({
      client,
      instance: 'controller-0',
      queueSize: 2,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    for (let i = 0; i < 5; i++) recorder.record(sandboxEvent('ev-full', { name: `box-${i}` }));
    recorder.record({ ...sandboxEvent('ev-full'), reason: '' });
    await recorder.close();
    assert.deepEqual(recorder.stats(), {
      created: 2,
      series: 0,
      dropped: 3,
      invalid: 1,
      failed: 0,
    });
    assert.equal(outcomes.length, 6);
    assert.equal((await eventsIn('ev-full')).length, 2);
  });

  it('counts a failed write without failing the caller', async () => {
    // A client for a server that is not there: one attempt, connection refused.
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const config = parse(readFileSync(server.kubeconfig, 'utf8')) as {
      clusters: Array<{ cluster: { server: string } }>;
    };
    for (const entry of config.clusters) entry.cluster.server = 'https://127.0.0.1:1';
    writeFileSync(join(dir, 'kubeconfig'), stringify(config));
    const nowhere = await KubeClient.fromKubeconfig(join(dir, 'kubeconfig'), { attempts: 1 });
    const lines: string[] = [];
    try {
      const recorder = new KubeEventRecorder({
        client: nowhere,
        instance: 'controller-0',
        log: (line) => lines.push(line),
      });
      assert.equal(recorder.record(sandboxEvent('ev-fail')), undefined);
      await recorder.close();
      assert.deepEqual(recorder.stats(), {
        created: 0,
        series: 0,
        dropped: 0,
        invalid: 0,
        failed: 1,
      });
      assert.match(lines.join('\n'), /Sandbox ev-fail\/box Started/);
    } finally {
      nowhere.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
