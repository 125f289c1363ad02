import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControllerMetrics,
  codeOf,
  type MetricLabels,
  type MetricsRegistry,
  verbOf,
} from './controller-metrics.ts';

/** A registry that keeps what it is told, for assertions. */
function recordingRegistry() {
  const counters = new Map<string, Map<string, number>>();
  const observations = new Map<string, Array<[string, number]>>();
  const gauges = new Map<string, () => Array<[MetricLabels, number]>>();
  const key = (labels: MetricLabels = {}) => JSON.stringify(labels);
  const registry: MetricsRegistry = {
    counter: (name) => {
      const values = new Map<string, number>();
      counters.set(name, values);
      return {
        inc: (labels, by = 1) => values.set(key(labels), (values.get(key(labels)) ?? 0) + by),
      };
    },
    histogram: (name) => {
      const values: Array<[string, number]> = [];
      observations.set(name, values);
      return { observe: (value, labels) => values.push([key(labels), value]) };
    },
    gauge: (name, _help, read) => gauges.set(name, read),
  };
  return { registry, counters, observations, gauges };
}

describe('ControllerMetrics', () => {
  it('counts reconciles by controller and result, with unknown values folded into other', () => {
    const { registry, counters, observations } = recordingRegistry();
    const metrics = new ControllerMetrics(registry, { controllers: ['sandbox', 'run'] });
    metrics.onReconcile({ controller: 'sandbox', result: 'success', durationMs: 12 });
    metrics.onReconcile({ controller: 'sandbox', result: 'error', durationMs: 3 });
    metrics.onReconcile({ controller: 'sandbox', result: 'error', durationMs: 4 });
    metrics.onReconcile({ controller: 'made-up', result: 'weird', durationMs: 1 });
    assert.deepEqual(
      Object.fromEntries(counters.get('paddock_controller_reconciles_total') ?? []),
      {
        '{"controller":"sandbox","result":"success"}': 1,
        '{"controller":"sandbox","result":"error"}': 2,
        '{"controller":"other","result":"other"}': 1,
      },
    );
    assert.deepEqual(
      Object.fromEntries(counters.get('paddock_controller_reconcile_errors_total') ?? []),
      { '{"controller":"sandbox"}': 2 },
    );
    assert.deepEqual(observations.get('paddock_controller_reconcile_duration_seconds')?.[0], [
      '{"controller":"sandbox","result":"success"}',
      0.012,
    ]);
  });

  it('reads leadership and queue depths at scrape time', () => {
    const { registry, gauges } = recordingRegistry();
    let leading = false;
    new ControllerMetrics(registry, {
      controllers: ['sandbox'],
      isLeader: () => leading,
      queueDepths: () => [
        { controller: 'sandbox', depth: 3 },
        { controller: 'x', depth: 1 },
        { controller: 'y', depth: 2 },
      ],
    });
    assert.deepEqual(gauges.get('paddock_controller_leader')?.(), [[{}, 0]]);
    leading = true;
    assert.deepEqual(gauges.get('paddock_controller_leader')?.(), [[{}, 1]]);
    assert.deepEqual(gauges.get('paddock_controller_queue_depth')?.(), [
      [{ controller: 'sandbox' }, 3],
      [{ controller: 'other' }, 3],
    ]);
  });

  it('counts API requests by verb and a bounded code', () => {
    const { registry, counters } = recordingRegistry();
    const metrics = new ControllerMetrics(registry, { controllers: [] });
    metrics.onApiRequest({
      method: 'GET',
      path: '/apis/paddock.dev/v1alpha1/namespaces/a/sandboxes',
      status: 200,
    });
    metrics.onApiRequest({
      method: 'GET',
      path: '/apis/paddock.dev/v1alpha1/namespaces/a/sandboxes/b',
      status: 404,
    });
    metrics.onApiRequest({
      method: 'PUT',
      path: '/apis/paddock.dev/v1alpha1/namespaces/a/sandboxes/b/status',
      status: 418,
    });
    metrics.onEvent('created');
    metrics.onEvent('surprise');
    assert.deepEqual(Object.fromEntries(counters.get('paddock_kube_api_requests_total') ?? []), {
      '{"verb":"list","code":"200"}': 1,
      '{"verb":"get","code":"404"}': 1,
      '{"verb":"update","code":"4xx"}': 1,
    });
    assert.deepEqual(Object.fromEntries(counters.get('paddock_controller_events_total') ?? []), {
      '{"outcome":"created"}': 1,
      '{"outcome":"other"}': 1,
    });
  });

  it('names verbs as client-go does and keeps codes bounded', () => {
    const ns = '/apis/coordination.k8s.io/v1/namespaces/d/leases';
    assert.equal(verbOf({ method: 'GET', path: ns, status: 200 }), 'list');
    assert.equal(verbOf({ method: 'GET', path: ns, status: 200, watch: true }), 'watch');
    assert.equal(verbOf({ method: 'GET', path: `${ns}/x`, status: 200 }), 'get');
    assert.equal(verbOf({ method: 'POST', path: ns, status: 201 }), 'create');
    assert.equal(verbOf({ method: 'PATCH', path: `${ns}/x`, status: 200 }), 'patch');
    assert.equal(verbOf({ method: 'DELETE', path: `${ns}/x`, status: 200 }), 'delete');
    assert.equal(verbOf({ method: 'DELETE', path: ns, status: 200 }), 'deletecollection');
    assert.equal(
      verbOf({
        method: 'GET',
        path: '/apis/paddock.dev/v1alpha1/clustersandboxtemplates',
        status: 200,
      }),
      'list',
    );
    assert.equal(
      verbOf({ method: 'GET', path: '/api/v1/namespaces/d/pods/p/log', status: 200 }),
      'get',
    );
    assert.equal(verbOf({ method: 'OPTIONS', path: ns, status: 200 }), 'other');
    assert.equal(codeOf(409), '409');
    assert.equal(codeOf(502), '5xx');
    assert.equal(codeOf(0), '0');
  });
});
