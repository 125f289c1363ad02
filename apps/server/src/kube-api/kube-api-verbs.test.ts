// The Kubernetes API of `paddock up` at the wire, the parts kube-api.test.ts leaves: /version and
// the OpenAPI document, Tables with the CRDs' printer columns for every kind, delete's
// propagationPolicy and dryRun, governance and admission as the REST API's, and the Status
// shapes a cluster answers with (a create's name in its errors, 415 for a strategic merge
// patch, 400 for a query it cannot read). No sandbox is provisioned: the server runs without
// its sandbox reconcilers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KINDS, kindForPlural } from '@paddock/core';
import { paddockCrds } from '@paddock/kube';
import { API, startTestServer, type TestServer } from '../test-server.ts';

const GROUP = `/apis/${API}`;
const TEMPLATES = `${GROUP}/namespaces/verbs/sandboxtemplates`;
const TABLE = 'application/json;as=Table;g=meta.k8s.io;v=v1';

type Status = {
  kind: string;
  status: string;
  reason: string;
  code: number;
  message: string;
  details?: {
    name?: string;
    kind?: string;
    uid?: string;
    causes?: Array<{ reason?: string; field?: string; message: string }>;
  };
};
/** What this test reads of a generated CRD's spec. */
type CrdSpec = {
  names: { plural: string };
  versions: Array<{
    additionalPrinterColumns?: Array<{ name: string; type: string; priority?: number }>;
  }>;
};
type Meta = { metadata: { name: string; uid: string; resourceVersion: string } };

const template = (name: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: API,
  kind: 'SandboxTemplate',
  metadata: { name, ...metadata },
  spec: {},
});

describe('the Kubernetes API of paddock up: the rest of its verbs', () => {
  let s: TestServer;
  const kube = (path: string, init: RequestInit = {}) =>
    s.call(path, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  const post = async (path: string, body: unknown) => {
    const res = await kube(path, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Meta;
  };

  // Dev mode: anonymous admin on loopback (kube-api.test.ts covers keys and users).
  before(async () => {
    s = await startTestServer({}, {}, { hasSandboxReconcilers: false });
  });
  after(() => s.close());

  it('serves /version, the legacy group list and the OpenAPI v3 document kubectl explain reads', async () => {
    const version = (await (await kube('/version')).json()) as {
      major: string;
      gitVersion: string;
    };
    assert.equal(version.major, '1');
    assert.match(version.gitVersion, /^v1\.\d+\.\d+/);
    const groups = (await (await kube('/apis')).json()) as {
      kind: string;
      groups: Array<{ name: string; preferredVersion: { groupVersion: string } }>;
    };
    assert.equal(groups.kind, 'APIGroupList', 'without the aggregated Accept');
    assert.deepEqual(
      groups.groups.map((g) => [g.name, g.preferredVersion.groupVersion]),
      [['paddock.dev', API]],
    );
    const index = (await (await kube('/openapi/v3')).json()) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    const url = index.paths['apis/paddock.dev/v1alpha1']?.serverRelativeURL ?? '';
    assert.match(url, /^\/openapi\/v3\/apis\/paddock\.dev\/v1alpha1/);
    const document = (await (await kube(url)).json()) as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const sandbox = Object.values(document.components.schemas).find((schema) =>
      (schema['x-kubernetes-group-version-kind'] as Array<{ kind: string }> | undefined)?.some(
        (gvk) => gvk.kind === 'Sandbox',
      ),
    ) as { properties: { spec: { properties: Record<string, unknown> } } } | undefined;
    assert.ok(sandbox !== undefined, 'a schema for Sandbox');
    assert.ok('desiredState' in sandbox.properties.spec.properties);
  });

  it("prints every kind's Table with its CRD's printer columns", async () => {
    for (const crd of paddockCrds()) {
      const spec = crd.spec as CrdSpec;
      const kind = kindForPlural(spec.names.plural);
      assert.ok(kind !== undefined, spec.names.plural);
      const path =
        KINDS[kind].scope === 'Cluster'
          ? `${GROUP}/${KINDS[kind].plural}`
          : `${GROUP}/namespaces/verbs/${KINDS[kind].plural}`;
      const res = await kube(path, { headers: { accept: TABLE } });
      assert.equal(res.status, 200, kind);
      const table = (await res.json()) as {
        columnDefinitions: Array<{ name: string; type: string; priority: number }>;
      };
      const [name, ...columns] = table.columnDefinitions;
      assert.equal(name?.name, 'Name');
      const printed = (spec.versions[0]?.additionalPrinterColumns ?? []).map((c) => ({
        name: c.name,
        type: c.type,
        priority: c.priority ?? 0,
      }));
      assert.deepEqual(
        columns.map((c) => ({ name: c.name, type: c.type, priority: c.priority })),
        printed,
        kind,
      );
    }
  });

  it('deletes in the background; Foreground and Orphan only what nothing names as owner', async () => {
    const lone = await post(TEMPLATES, template('lone'));
    const dry = await kube(`${TEMPLATES}/lone?dryRun=All&propagationPolicy=Foreground`, {
      method: 'DELETE',
    });
    assert.equal(dry.status, 200);
    assert.equal((await kube(`${TEMPLATES}/lone`)).status, 200, 'a dry run deletes nothing');
    const foreground = await kube(`${TEMPLATES}/lone?propagationPolicy=Foreground`, {
      method: 'DELETE',
    });
    assert.equal(foreground.status, 200);
    const gone = (await foreground.json()) as Status;
    assert.deepEqual(
      [gone.kind, gone.status, gone.details?.kind, gone.details?.name, gone.details?.uid],
      ['Status', 'Success', 'sandboxtemplates', 'lone', lone.metadata.uid],
      'the API server’s Status of a delete: the resource, not the kind',
    );
    const owner = await post(TEMPLATES, template('owner'));
    const ownerRef = { apiVersion: API, kind: 'SandboxTemplate', name: 'owner', uid: '' };
    ownerRef.uid = owner.metadata.uid;
    await post(TEMPLATES, template('dependent', { ownerReferences: [ownerRef] }));
    for (const [what, init] of [
      ['Foreground', { query: '?propagationPolicy=Foreground' }],
      ['Orphan', { body: { kind: 'DeleteOptions', propagationPolicy: 'Orphan' } }],
      ['orphanDependents', { body: { kind: 'DeleteOptions', orphanDependents: true } }],
      ['Sideways', { query: '?propagationPolicy=Sideways' }],
    ] as const) {
      const res = await kube(`${TEMPLATES}/owner${'query' in init ? init.query : ''}`, {
        method: 'DELETE',
        ...('body' in init ? { body: JSON.stringify(init.body) } : {}),
      });
      assert.equal(res.status, 422, what);
      const refused = (await res.json()) as Status;
      assert.equal(refused.reason, 'Invalid', what);
      assert.deepEqual(
        refused.details?.causes?.map((c) => c.field),
        ['propagationPolicy'],
        what,
      );
    }
    assert.equal((await kube(`${TEMPLATES}/owner`)).status, 200, 'nothing deleted');
    const background = await kube(`${TEMPLATES}/owner?propagationPolicy=Background`, {
      method: 'DELETE',
    });
    assert.equal(background.status, 200);
    assert.equal((await kube(`${TEMPLATES}/owner`)).status, 404);
  });

  it('refuses through this API what admission and governance refuse through REST', async () => {
    await post(`${GROUP}/namespaces/gov/policies`, {
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'default' },
      spec: { allowedTemplates: ['ClusterSandboxTemplate/python'] },
    });
    const sandbox = (name: string, templateName: string) =>
      JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name },
        spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: templateName } },
      });
    const viaKube = await kube(`${GROUP}/namespaces/gov/sandboxes`, {
      method: 'POST',
      body: sandbox('shell-one', 'shell'),
    });
    const viaRest = await s.call('/api/v1/namespaces/gov/sandboxes', {
      method: 'POST',
      body: sandbox('shell-one', 'shell'),
    });
    assert.equal(viaRest.status, 403);
    assert.equal(viaKube.status, 403);
    const refused = (await viaKube.json()) as Status;
    assert.equal(refused.reason, 'Forbidden');
    assert.deepEqual(
      refused.details?.causes?.map((c) => c.reason),
      ['template_not_allowed'],
    );
    const missing = await kube(`${GROUP}/namespaces/gov/sandboxes`, {
      method: 'POST',
      body: sandbox('nowhere', 'no-such-template'),
    });
    const missingRest = await s.call('/api/v1/namespaces/gov/sandboxes', {
      method: 'POST',
      body: sandbox('nowhere', 'no-such-template'),
    });
    assert.equal(missing.status, missingRest.status);
    assert.equal(((await missing.json()) as Status).reason, 'NotFound');
    const allowed = await kube(`${GROUP}/namespaces/gov/sandboxes`, {
      method: 'POST',
      body: sandbox('python-one', 'python'),
    });
    assert.equal(allowed.status, 201, await allowed.text());
  });

  it('answers in the Status shapes a cluster answers with', async () => {
    await post(TEMPLATES, template('taken'));
    const again = await kube(TEMPLATES, {
      method: 'POST',
      body: JSON.stringify(template('taken')),
    });
    assert.equal(again.status, 409);
    const exists = (await again.json()) as Status;
    assert.equal(exists.message, 'sandboxtemplates.paddock.dev "taken" already exists');
    const dryAgain = await kube(`${TEMPLATES}?dryRun=All`, {
      method: 'POST',
      body: JSON.stringify(template('taken')),
    });
    assert.equal(dryAgain.status, 409, 'a dry run answers what the create would');
    const stale = await kube(`${TEMPLATES}/taken?dryRun=All`, {
      method: 'PUT',
      body: JSON.stringify(template('taken', { resourceVersion: '1' })),
    });
    assert.equal(stale.status, 409, 'and what the update would');
    assert.equal(((await stale.json()) as Status).reason, 'Conflict');
    const bad = await kube(TEMPLATES, {
      method: 'POST',
      body: JSON.stringify({ ...template('bad'), spec: { isolation: 'vm' } }),
    });
    const invalid = (await bad.json()) as Status;
    assert.deepEqual([bad.status, invalid.details?.name], [422, 'bad'], 'kubectl: The … "bad"');
    const strategic = await kube(`${TEMPLATES}/taken`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { a: 'b' } } }),
    });
    assert.equal(strategic.status, 415);
    const unsupported = (await strategic.json()) as Status;
    assert.equal(unsupported.reason, 'UnsupportedMediaType');
    assert.match(unsupported.message, /application\/merge-patch\+json/);
    for (const query of [
      'labelSelector=a%20in%20(',
      'fieldSelector=spec.x%3D1',
      'limit=1&continue=bogus',
      'watch=true&labelSelector=a%20in%20(',
    ]) {
      const res = await kube(`${TEMPLATES}?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(((await res.json()) as Status).reason, 'BadRequest', query);
    }
  });
});
