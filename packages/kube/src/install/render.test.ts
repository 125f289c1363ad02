// Every object paddock install renders, for several sets of values, checked offline: against
// the official schemas (kubernetes-models; prometheus-operator's models), Pod Security
// "restricted" on every Deployment's pod template, and the values errors naming their field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { isPaddockError } from '@paddock/core';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { checkPodSecurity } from '../objects/pod-security.ts';
import { DASHBOARD_METRICS } from './dashboard.ts';
import { INSTALL_KINDS } from './install-kinds.ts';
import type { KubeObject } from './install-meta.ts';
import { installManifest, manifestYaml, renderInstall } from './render.ts';
import { defaultValues, resolveValues } from './values.ts';

type Validator = (object: never) => { validate(): void };
const VALIDATORS: Record<string, Validator> = {
  Namespace: (o) => new Namespace(o),
  ServiceAccount: (o) => new ServiceAccount(o),
  ClusterRole: (o) => new ClusterRole(o),
  ClusterRoleBinding: (o) => new ClusterRoleBinding(o),
  Role: (o) => new Role(o),
  RoleBinding: (o) => new RoleBinding(o),
  ConfigMap: (o) => new ConfigMap(o),
  Secret: (o) => new Secret(o),
  PersistentVolumeClaim: (o) => new PersistentVolumeClaim(o),
  Service: (o) => new Service(o),
  Deployment: (o) => new Deployment(o),
  PodDisruptionBudget: (o) => new PodDisruptionBudget(o),
  NetworkPolicy: (o) => new NetworkPolicy(o),
  Ingress: (o) => new Ingress(o),
  ServiceMonitor: (o) => new ServiceMonitor(o),
  PrometheusRule: (o) => new PrometheusRule(o),
};

/** Validates against the official schema of its kind; throws the schema's errors. */
export function validateInstalled(object: KubeObject): void {
  const make = VALIDATORS[object.kind];
  assert.ok(make, `no schema for ${object.kind}`);
  const model = make(structuredClone(object) as never);
  model.validate();
  assert.equal((model as unknown as { apiVersion: string }).apiVersion, object.apiVersion);
}

const EVERYTHING = resolveValues({
  sets: [
    'ingress.enabled=true',
    'monitoring.prometheusOperator=enabled',
    'controller.extraArgs=[--install-crds]',
    'networkPolicy.apiServerCidrs=[10.0.0.1/32, 10.0.0.2/32]',
    'monitoring.labels={release: kube-prometheus-stack}',
    'controller.nodeSelector={kubernetes.io/os: linux}',
  ],
});
const DATABASE_URL = 'postgres://paddock:secret@db.example:5432/paddock';
const REPLICAS = resolveValues({
  sets: ['server.replicas=3', `server.databaseUrl=${DATABASE_URL}`],
});
const VALUE_SETS = {
  defaults: defaultValues(),
  everything: EVERYTHING,
  'postgres replicas': REPLICAS,
  'controller only': resolveValues({
    sets: ['server.enabled=false', 'networkPolicy.enabled=false', 'createNamespace=false'],
  }),
};

describe('paddock install renders', () => {
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    it(`${name}: every object valid against its official schema`, () => {
      const objects = renderInstall(values);
      assert.ok(objects.length > 5);
      for (const object of objects) {
        assert.doesNotThrow(
          () => validateInstalled(object),
          `${object.kind} ${object.metadata.name}`,
        );
      }
    });

    it(`${name}: every Deployment's pod passes Pod Security "restricted"`, () => {
      const deployments = renderInstall(values).filter((o) => o.kind === 'Deployment');
      assert.ok(deployments.length >= 1);
      for (const deployment of deployments) {
        const template = (deployment.spec as { template: object }).template;
        const pod = { apiVersion: 'v1', kind: 'Pod', ...template };
        assert.deepEqual(checkPodSecurity(pod as never), [], deployment.metadata.name);
      }
    });
  }

  it('the schemas do catch a wrong field', () => {
    const [deployment] = renderInstall(defaultValues()).filter((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    const broken = structuredClone(deployment);
    (broken.spec as { replicas: unknown }).replicas = 'two';
    assert.throws(() => validateInstalled(broken));
  });

  it('only kinds the applier knows, each object once', () => {
    const objects = renderInstall(EVERYTHING);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const object of objects) {
      assert.ok(
        INSTALL_KINDS.some((k) => k.kind === object.kind && k.apiVersion === object.apiVersion),
      );
    }
    const order = objects.map((o) => INSTALL_KINDS.findIndex((k) => k.kind === o.kind));
    assert.ok(order.includes(0), 'the Namespace comes first');
  });

  it('the controller gets its identity and namespace from the downward API, and its flags', () => {
    const [controller] = renderInstall(defaultValues()).filter(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'paddock-controller',
    );
    const text = JSON.stringify(controller);
    assert.match(
      text,
      /"name":"PADDOCK_CONTROLLER_IDENTITY","valueFrom":\{"fieldRef":\{"apiVersion":"v1","fieldPath":"metadata.name"/,
    );
    assert.match(
      text,
      /"name":"PADDOCK_CONTROLLER_NAMESPACE","valueFrom":\{"fieldRef":\{"apiVersion":"v1","fieldPath":"metadata.namespace"/,
    );
    assert.match(
      text,
      /"command":\["paddock","controller","--in-cluster","--metrics-addr=0.0.0.0:9464"/,
    );
    assert.match(text, /"livenessProbe":\{"httpGet":\{"path":"\/healthz"/);
    assert.match(text, /"readinessProbe":\{"httpGet":\{"path":"\/readyz"/);
  });

  it('monitoring: ServiceMonitors and alerts only when enabled or found; the dashboard reads existing metrics', () => {
    const kinds = (objects: KubeObject[]) => objects.map((o) => o.kind);
    assert.ok(!kinds(renderInstall(defaultValues())).includes('ServiceMonitor'));
    const found = { monitoringKinds: new Set(['ServiceMonitor', 'PrometheusRule']) };
    assert.ok(kinds(renderInstall(defaultValues(), found)).includes('PrometheusRule'));
    const off = resolveValues({ sets: ['monitoring.prometheusOperator=disabled'] });
    assert.ok(!kinds(renderInstall(off, found)).includes('ServiceMonitor'));
    const rule = renderInstall(EVERYTHING).find((o) => o.kind === 'PrometheusRule');
    const alerts = JSON.stringify(rule);
    for (const alert of [
      'PaddockControllerDown',
      'PaddockSandboxesStuckCreating',
      'PaddockWarmPoolEmpty',
      'PaddockBudgetNearLimit',
      'PaddockWorkspaceVolumeAlmostFull',
    ]) {
      assert.ok(alerts.includes(alert), alert);
    }
    for (const metric of DASHBOARD_METRICS) {
      assert.match(
        metric,
        /^paddock_(controller|kube|sandboxes|warm_pool|http|sandbox_create|execs)/,
      );
    }
  });

  it('--dry-run YAML: CRDs first, then the objects, the same every time', () => {
    const text = manifestYaml(installManifest(defaultValues()));
    assert.equal(text, manifestYaml(installManifest(defaultValues())));
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    const firstOther = docs.findIndex((d) => d.kind !== 'CustomResourceDefinition');
    assert.ok(firstOther > 0);
    assert.ok(docs.slice(firstOther).every((d) => d.kind !== 'CustomResourceDefinition'));
  });
});

describe('paddock install: server replicas', () => {
  type Spec = {
    replicas: number;
    strategy: { type: string };
    template: {
      spec: {
        containers: Array<{ env: Array<Record<string, unknown>>; volumeMounts: object[] }>;
        volumes: Array<Record<string, unknown>>;
      };
    };
  };
  const server = (objects: KubeObject[]) => {
    const found = objects.filter(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'paddock-server',
    );
    assert.equal(found.length, 1, 'one server Deployment');
    return found[0]?.spec as Spec;
  };

  it('refuses more than one replica without a PostgreSQL URL, naming both fields', () => {
    assert.throws(
      () => resolveValues({ sets: ['server.replicas=2'] }),
      (e) =>
        isPaddockError(e, 'validation_failed') &&
        e.message.includes(
          'server.replicas: 2 replicas need server.databaseUrl (a postgres:// URL)',
        ),
    );
    assert.throws(
      () => resolveValues({ sets: ['server.databaseUrl=mysql://db/paddock'] }),
      /server\.databaseUrl: must be a postgres:\/\/ URL/,
    );
    assert.equal(
      resolveValues({ sets: ['server.replicas=2', 'server.enabled=false'] }).server.replicas,
      2,
    );
  });

  it('one replica by default: SQLite on the data claim, stopped before the next starts', () => {
    const objects = renderInstall(defaultValues());
    const spec = server(objects);
    assert.equal(spec.replicas, 1);
    assert.equal(spec.strategy.type, 'Recreate');
    const data = spec.template.spec.volumes.find((v) => v.name === 'data');
    assert.deepEqual(data?.persistentVolumeClaim, { claimName: 'paddock-server-data' });
    assert.ok(objects.some((o) => o.kind === 'PersistentVolumeClaim'));
    assert.ok(!objects.some((o) => o.kind === 'Secret'));
  });

  it('with a PostgreSQL URL: the replicas roll, their home an emptyDir, the URL from a Secret', () => {
    const objects = renderInstall(REPLICAS);
    const spec = server(objects);
    assert.equal(spec.replicas, 3);
    assert.equal(spec.strategy.type, 'RollingUpdate');
    const data = spec.template.spec.volumes.find((v) => v.name === 'data');
    assert.deepEqual(data?.emptyDir, { sizeLimit: '1Gi' });
    assert.ok(!objects.some((o) => o.kind === 'PersistentVolumeClaim'), 'no data claim');
    const env = spec.template.spec.containers[0]?.env.find((e) => e.name === 'PADDOCK_DATABASE');
    assert.deepEqual(env?.valueFrom, {
      secretKeyRef: { name: 'paddock-server-database', key: 'url' },
    });
    const secret = objects.find((o) => o.kind === 'Secret');
    assert.equal(secret?.metadata.name, 'paddock-server-database');
    assert.deepEqual(secret?.stringData, { url: DATABASE_URL });
    const order = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.ok(
      order.indexOf('Secret/paddock-server-database') < order.indexOf('Deployment/paddock-server'),
      'the Secret before the Deployment that reads it',
    );
  });
});

describe('paddock install values', () => {
  it('names every bad value by its path, all at once', () => {
    try {
      resolveValues({
        fileText:
          'controller:\n  replicas: 0\n  resources: {requests: {cpu: lots, memory: 1Gi}, limits: {cpu: "1", memory: 1Gi}}\n',
        sets: ['image.pullPolicy=Sometimes', 'ingress.host=Not_A_Host', 'bogus.key=1', 'nokey'],
      });
      assert.fail('accepted');
    } catch (error) {
      assert.ok(isPaddockError(error, 'validation_failed'));
      const paths = (error.details as { issues: Array<{ path: string }> }).issues.map(
        (i) => i.path,
      );
      assert.deepEqual(paths.sort(), [
        '--set nokey',
        'bogus',
        'controller.replicas',
        'controller.resources.requests.cpu',
        'image.pullPolicy',
        'ingress.host',
      ]);
    }
  });

  it('a file that is no mapping is refused', () => {
    assert.throws(
      () => resolveValues({ fileText: '- a\n- b\n' }),
      /\(values\): must be a YAML mapping/,
    );
  });

  it('--set wins over the file, and reads YAML', () => {
    const values = resolveValues({
      fileText: 'controller: {replicas: 3}\nserver: {enabled: false}\n',
      sets: ['controller.replicas=4', 'server.extraArgs=[--a, --b]'],
    });
    assert.equal(values.controller.replicas, 4);
    assert.equal(values.server.enabled, false);
    assert.deepEqual(values.server.extraArgs, ['--a', '--b']);
  });
});
