import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { coreApiTestCrds, installCoreApiTestCrds, type StructuralSchema } from './core-api-crds.ts';

/** Every node of `schema` with its path, for the structural check. */
function* nodes(schema: StructuralSchema, path = ''): Generator<[string, StructuralSchema]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    yield* nodes(child, `${path}.${name}`);
  }
  if (schema.items !== undefined) yield* nodes(schema.items, `${path}[]`);
  if (schema.additionalProperties !== undefined)
    yield* nodes(schema.additionalProperties, `${path}{}`);
}

describe('core API test CRDs', () => {
  it('carry the official Lease and Event fields as structural schemas', async () => {
    const [lease, event] = await coreApiTestCrds();
    const schemaOf = (crd: typeof lease) =>
      (crd?.spec.versions as Array<{ schema: { openAPIV3Schema: StructuralSchema } }>)[0]?.schema
        .openAPIV3Schema ?? {};
    const leaseSchema = schemaOf(lease);
    const eventSchema = schemaOf(event);
    assert.deepEqual(Object.keys(leaseSchema.properties?.spec?.properties ?? {}).sort(), [
      'acquireTime',
      'holderIdentity',
      'leaseDurationSeconds',
      'leaseTransitions',
      'preferredHolder',
      'renewTime',
      'strategy',
    ]);
    assert.deepEqual(leaseSchema.properties?.spec?.properties?.renewTime, {
      type: 'string',
      format: 'date-time',
    });
    for (const field of [
      'eventTime',
      'series',
      'reportingController',
      'reportingInstance',
      'action',
      'reason',
      'regarding',
      'related',
      'note',
      'type',
      'deprecatedSource',
      'deprecatedFirstTimestamp',
      'deprecatedLastTimestamp',
      'deprecatedCount',
    ]) {
      assert.ok(eventSchema.properties?.[field], `Event has ${field}`);
    }
    assert.deepEqual(eventSchema.required, ['eventTime']);
    assert.deepEqual(eventSchema.properties?.series?.required, ['count', 'lastObservedTime']);
    assert.equal(eventSchema.properties?.regarding?.properties?.uid?.type, 'string');
    for (const schema of [leaseSchema, eventSchema]) {
      for (const [path, node] of nodes(schema)) {
        assert.ok(node.type !== undefined, `${path || 'root'} has a type`);
        assert.ok(!('$ref' in node), `${path} has no $ref`);
      }
    }
  });
});

describe('core API test CRDs on the test server', { skip: kubeSkipReason ?? false }, () => {
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

  it('serves Events validated by the official schema', async () => {
    const path = '/apis/events.k8s.io/v1/namespaces/default/events';
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'schema-check' },
      eventTime: '2026-12-06T10:00:00.000001Z',
      reason: 'Checked',
    };
    const created = await client.request<{ eventTime: string }>('POST', path, { body: event });
    assert.equal(created.eventTime, '2026-12-06T10:00:00.000001Z');
    const { eventTime: _, ...withoutTime } = { ...event, metadata: { name: 'no-time' } };
    await assert.rejects(client.request('POST', path, { body: withoutTime }), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
    const badSeries = { ...event, metadata: { name: 'bad-series' }, series: { count: 2 } };
    await assert.rejects(client.request('POST', path, { body: badSeries }), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
  });
});
