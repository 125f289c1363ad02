// The real kubectl against `paddock up`'s Kubernetes API: server-side apply of the examples,
// get (wide, watch), describe, wait, delete --wait, explain, and a second field manager's conflict.
// The server runs in dev mode (anonymous admin on loopback): kubectl sends a bearer token only
// over TLS, which `paddock up` does not terminate itself (kube-api.test.ts covers keys and rules).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { API, startTestServer, type TestServer } from '../test-server.ts';
import { kubectl, kubectlSkipReason, writeKubeconfig } from './kube-test-support.ts';

type ManagedEntry = { manager: string; fieldsV1: Record<string, Record<string, unknown>> };

const EXAMPLES = new URL('../../../../examples/manifests/', import.meta.url).pathname;

describe('kubectl against paddock up', { skip: kubectlSkipReason ?? false }, () => {
  let s: TestServer;
  let config = '';
  const k = (args: string[], input?: string) =>
    kubectl(config, args, input === undefined ? {} : { input });

  before(async () => {
    s = await startTestServer();
    config = writeKubeconfig(s.home, s.url, 'unused-without-tls');
  });
  after(() => s.close());

  it('applies the examples server-side and lists them with the printer columns', async () => {
    const applied = await k(['apply', '--server-side', '-f', EXAMPLES]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /sandbox\.paddock\.dev\/scratch serverside-applied/);
    assert.match(applied.stdout, /run\.paddock\.dev\/first-task serverside-applied/);
    const wide = await k(['get', 'sandboxes', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    const [header = '', ...rows] = wide.stdout.trim().split('\n');
    assert.deepEqual(header.split(/\s{2,}/), [
      'NAME',
      'PHASE',
      'READY',
      'TEMPLATE',
      'DESIRED',
      'ISOLATION',
      'EXPIRES',
      'AGE',
    ]);
    const scratch = rows.find((row) => row.startsWith('scratch '));
    assert.match(scratch ?? '', /^scratch\s+\S+\s+\S+\s+workbench\s+Stopped\s/);
    const narrow = await k(['get', 'sbx']);
    assert.doesNotMatch(
      narrow.stdout.split('\n')[0] ?? '',
      /DESIRED/,
      'priority columns only in wide',
    );
    const cluster = await k(['get', 'csbxt', 'shell']);
    assert.match(cluster.stdout, /^shell\s/m, 'a cluster-scoped kind by its short name');
    const everywhere = await k(['get', 'sbx', '-A']);
    assert.match(everywhere.stdout, /^default\s+scratch\s/m, 'a namespaced kind across namespaces');
    const all = await k(['get', 'paddock']);
    assert.match(all.stdout, /agent\.paddock\.dev\/helper\s+builtin\s+claude-sonnet-4-5/);
    const described = await k(['describe', 'sandbox', 'scratch']);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Name:\s+scratch/);
    assert.match(described.stdout, /Labels:\s+team=docs/);
    assert.match(described.stdout, /Template Ref:\s+Name:\s+workbench/);
  });

  it('applies client-side too (create, then a merge patch of the change)', async () => {
    const template = (description: string) =>
      JSON.stringify({
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'client-side' },
        spec: { description },
      });
    const created = await k(['apply', '-f', '-'], template('one'));
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created/);
    const changed = await k(['apply', '-f', '-'], template('two'));
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stdout, /configured/);
    const read = await k(['get', 'sbxt', 'client-side', '-o', 'jsonpath={.spec.description}']);
    assert.equal(read.stdout, 'two');
  });

  it('lists only paddock.dev in api-versions: no core group', async () => {
    const versions = await k(['api-versions']);
    assert.equal(versions.code, 0, versions.stderr);
    assert.deepEqual(versions.stdout.trim().split('\n'), ['paddock.dev/v1alpha1']);
  });

  it('explains sandbox.spec from the OpenAPI document', async () => {
    const explained = await k(['explain', 'sandbox.spec']);
    assert.equal(explained.code, 0, explained.stderr);
    assert.match(explained.stdout, /KIND:\s+Sandbox/);
    assert.match(explained.stdout, /desiredState\s+<string>/);
    assert.match(explained.stdout, /templateRef\s+<Object>/);
  });

  it('a second field manager conflicts on a field another owns, and --force-conflicts takes it', async () => {
    const manifest = (state: string) =>
      JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'owned' },
        spec: {
          templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
          desiredState: state,
        },
      });
    const first = await k(
      ['apply', '--server-side', '--field-manager=alpha', '-f', '-'],
      manifest('Stopped'),
    );
    assert.equal(first.code, 0, first.stderr);
    const other = ['apply', '--server-side', '--field-manager=beta', '-f', '-'];
    const refused = await k(other, manifest('Running'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /conflict with "alpha": \.spec\.desiredState/);
    const shared = await k(other, manifest('Stopped'));
    assert.equal(shared.code, 0, 'the same value is shared, not a conflict');
    const forced = await k([...other, '--force-conflicts'], manifest('Running'));
    assert.equal(forced.code, 0, forced.stderr);
    const got = await k(['get', 'sbx', 'owned', '-o', 'json', '--show-managed-fields']);
    const entries = (JSON.parse(got.stdout) as { metadata: { managedFields: ManagedEntry[] } })
      .metadata.managedFields;
    const ownersOf = (field: string) =>
      entries.filter((e) => field in (e.fieldsV1['f:spec'] ?? {})).map((e) => e.manager);
    assert.deepEqual(ownersOf('f:desiredState'), ['beta'], 'forced: beta alone owns it');
    assert.deepEqual(ownersOf('f:templateRef').sort(), ['alpha', 'beta'], 'same value: shared');
  });

  it('removes a finalizer its manager alone applied and applies no more; keeps one another applies', async () => {
    const template = (finalizers: string[]) =>
      JSON.stringify({
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'finalized', ...(finalizers.length > 0 ? { finalizers } : {}) },
        spec: { description: 'held' },
      });
    const apply = (manager: string, finalizers: string[]) =>
      k(['apply', '--server-side', `--field-manager=${manager}`, '-f', '-'], template(finalizers));
    const finalizers = async () =>
      (await k(['get', 'sbxt', 'finalized', '-o', 'jsonpath={.metadata.finalizers}'])).stdout;
    assert.equal((await apply('alpha', ['x.dev/a', 'x.dev/b'])).code, 0);
    assert.equal((await apply('beta', ['x.dev/b'])).code, 0);
    const got = await k(['get', 'sbxt', 'finalized', '-o', 'json', '--show-managed-fields']);
    const entries = (JSON.parse(got.stdout) as { metadata: { managedFields: ManagedEntry[] } })
      .metadata.managedFields;
    assert.deepEqual(entries.find((e) => e.manager === 'alpha')?.fieldsV1['f:metadata'], {
      'f:finalizers': { '.': {}, 'v:"x.dev/a"': {}, 'v:"x.dev/b"': {} },
    });
    const dropped = await apply('alpha', []);
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.equal(await finalizers(), '["x.dev/b"]', 'a gone (alpha alone had it), b kept for beta');
    assert.equal((await apply('beta', [])).code, 0);
    assert.equal(await finalizers(), '', 'b gone once beta dropped it too');
    const deleted = await k(['delete', 'sbxt', 'finalized', '--wait', '--timeout=30s']);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('waits for Running, watches a change made through REST, and deletes with --wait', async () => {
    const created = await k(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'watched' },
        spec: {
          templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
          desiredState: 'Running',
        },
      }),
    );
    assert.equal(created.code, 0, created.stderr);
    const waited = await k([
      'wait',
      'sbx/watched',
      '--for=jsonpath={.status.phase}=Running',
      '--timeout=60s',
    ]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /condition met/);
    const watch = spawn('kubectl', ['get', 'sbx', 'watched', '-w', '--show-labels'], {
      env: { PATH: process.env.PATH, HOME: s.home, KUBECONFIG: config },
    });
    let seen = '';
    const collect = (chunk: Buffer) => {
      seen += chunk.toString();
    };
    watch.stdout.on('data', collect);
    watch.stderr.on('data', collect);
    const exited = new Promise((resolve) => watch.once('close', resolve));
    try {
      await eventually(() => /watched\s+Running/.test(seen), { what: 'the row of watched' });
      const res = await s.call('/api/v1/namespaces/default/sandboxes/watched', {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+json' },
        body: JSON.stringify({
          apiVersion: API,
          kind: 'Sandbox',
          metadata: { name: 'watched', labels: { changed: 'by-rest' } },
          spec: {
            templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
            desiredState: 'Running',
          },
        }),
      });
      assert.equal(res.status, 200);
      await eventually(() => /changed=by-rest/.test(seen), {
        what: 'the change made through REST',
      });
    } finally {
      watch.kill();
      await exited;
    }
    const deleted = await k(['delete', 'sbx', 'watched', '--wait', '--timeout=60s']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await k(['get', 'sbx', 'watched']);
    assert.match(gone.stderr, /NotFound.*sandboxes\.paddock\.dev "watched" not found/);
  });
});
