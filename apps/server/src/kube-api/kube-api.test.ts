// The Kubernetes API of `paddock up` at the wire: keys and the REST API's rules (another user's
// sandbox is NotFound here as there), errors as Status objects, discovery, paging and selectors,
// Table output, patches, dryRun, the status subresource, and watches (bookmarks, 410 Expired).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrapAdminKey } from '../bootstrap-key.ts';
import { API, startTestServer, type TestServer } from '../test-server.ts';

const SANDBOXES = '/apis/paddock.dev/v1alpha1/namespaces/default/sandboxes';

const sandbox = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: API,
  kind: 'Sandbox',
  metadata: { name, ...extra },
  spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' }, desiredState: 'Stopped' },
});

type Status = {
  kind: string;
  reason: string;
  code: number;
  message: string;
  details?: { causes?: Array<{ field?: string; message: string }> };
};

describe('the Kubernetes API of paddock up', () => {
  let s: TestServer;
  let admin = '';
  let alice = '';
  let bob = '';
  const kube = (path: string, token: string, init: RequestInit = {}) =>
    s.call(path, {
      ...init,
      token,
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  const keyFor = async (owner: string) => {
    const res = await s.call('/api/v1/apikeys', {
      method: 'POST',
      token: admin,
      body: JSON.stringify({ name: owner, owner, role: 'user' }),
    });
    return ((await res.json()) as { key: string }).key;
  };

  before(async () => {
    s = await startTestServer({ auth: 'required' });
    admin = (await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date()))?.key ?? '';
    alice = await keyFor('alice');
    bob = await keyFor('bob');
  });
  after(() => s.close());

  it('answers without a key with a 401 Status, and discovery from the kind registry', async () => {
    const refused = await s.call(SANDBOXES);
    assert.equal(refused.status, 401);
    const status = (await refused.json()) as Status;
    assert.deepEqual([status.kind, status.reason, status.code], ['Status', 'Unauthorized', 401]);
    const core = await (await kube('/api', alice)).json();
    assert.deepEqual(core, {
      kind: 'APIVersions',
      versions: [],
      serverAddressByClientCIDRs: [],
    });
    const aggregated = await kube('/apis', alice, {
      headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' },
    });
    assert.match(aggregated.headers.get('content-type') ?? '', /as=APIGroupDiscoveryList/);
    const groups = (await aggregated.json()) as {
      items: Array<{
        versions: Array<{ resources: Array<{ resource: string; shortNames?: string[] }> }>;
      }>;
    };
    const resources = groups.items[0]?.versions[0]?.resources ?? [];
    assert.deepEqual(resources.find((r) => r.resource === 'sandboxes')?.shortNames, ['sbx']);
    assert.ok(
      resources.some((r) => r.resource === 'volumes'),
      'every kind of the registry',
    );
    const list = (await (await kube('/apis/paddock.dev/v1alpha1', alice)).json()) as {
      resources: Array<{ name: string; verbs: string[] }>;
    };
    assert.deepEqual(list.resources.find((r) => r.name === 'sandboxes/status')?.verbs, [
      'get',
      'patch',
      'update',
    ]);
  });

  it("another user's sandbox is NotFound here exactly as through REST", async () => {
    const created = await kube(SANDBOXES, bob, {
      method: 'POST',
      body: JSON.stringify(sandbox('bobs')),
    });
    assert.equal(created.status, 201);
    const viaKube = await kube(`${SANDBOXES}/bobs`, alice);
    const viaRest = await s.call('/api/v1/namespaces/default/sandboxes/bobs', { token: alice });
    assert.equal(viaKube.status, 404);
    assert.equal(viaRest.status, 404);
    const status = (await viaKube.json()) as Status;
    assert.equal(status.reason, 'NotFound');
    assert.equal(status.message, 'sandboxes.paddock.dev "bobs" not found');
    const listed = (await (await kube(SANDBOXES, alice)).json()) as { items: unknown[] };
    assert.deepEqual(listed.items, []);
    for (const method of ['DELETE', 'PUT']) {
      const res = await kube(`${SANDBOXES}/bobs`, alice, {
        method,
        body: JSON.stringify(sandbox('bobs', { resourceVersion: '1' })),
      });
      assert.equal(res.status, 404, method);
    }
    const patched = await kube(`${SANDBOXES}/bobs`, alice, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { taken: 'yes' } } }),
    });
    assert.equal(patched.status, 404);
    const status403 = await kube(`${SANDBOXES}/bobs/status`, bob, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { phase: 'Running' } }),
    });
    assert.equal(status403.status, 403, 'status is the controller’s (admins) to write');
    assert.equal(((await status403.json()) as Status).reason, 'Forbidden');
  });

  it('answers Invalid with causes naming fields, AlreadyExists, and Conflict on a stale version', async () => {
    const bad = await kube(SANDBOXES, alice, {
      method: 'POST',
      body: JSON.stringify({ ...sandbox('bad'), spec: { desiredState: 'Sideways' } }),
    });
    assert.equal(bad.status, 422);
    const invalid = (await bad.json()) as Status;
    assert.equal(invalid.reason, 'Invalid');
    const fields = (invalid.details?.causes ?? []).map((c) => c.field);
    assert.ok(fields.includes('spec.desiredState'), JSON.stringify(fields));
    const first = await kube(SANDBOXES, alice, {
      method: 'POST',
      body: JSON.stringify(sandbox('a1')),
    });
    assert.equal(first.status, 201);
    const again = await kube(SANDBOXES, alice, {
      method: 'POST',
      body: JSON.stringify(sandbox('a1')),
    });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as Status).reason, 'AlreadyExists');
    // A template: no controller writes it between the two updates.
    const templates = '/apis/paddock.dev/v1alpha1/namespaces/default/sandboxtemplates';
    const template = {
      apiVersion: API,
      kind: 'SandboxTemplate',
      metadata: { name: 't1' },
      spec: {},
    };
    const made = await kube(templates, admin, { method: 'POST', body: JSON.stringify(template) });
    const { resourceVersion } = ((await made.json()) as { metadata: { resourceVersion: string } })
      .metadata;
    const put = (version: string) =>
      kube(`${templates}/t1`, admin, {
        method: 'PUT',
        body: JSON.stringify({
          ...template,
          metadata: { name: 't1', labels: { v: '2' }, resourceVersion: version },
        }),
      });
    assert.equal((await put(resourceVersion)).status, 200);
    const stale = await put(resourceVersion);
    assert.equal(stale.status, 409);
    assert.equal(((await stale.json()) as Status).reason, 'Conflict');
    const labelled = sandbox('a1', { labels: { v: '2' } });
    const unversioned = await kube(`${SANDBOXES}/a1`, alice, {
      method: 'PUT',
      body: JSON.stringify(labelled),
    });
    assert.equal(unversioned.status, 422, 'an update names the version it replaces');
  });

  it('pages, selects by label and field, prints Tables, patches and dry-runs', async () => {
    for (const name of ['p1', 'p2', 'p3']) {
      await kube(SANDBOXES, admin, {
        method: 'POST',
        body: JSON.stringify(sandbox(name, { labels: { page: 'yes' } })),
      });
    }
    const first = (await (
      await kube(`${SANDBOXES}?labelSelector=page%3Dyes&limit=2`, admin)
    ).json()) as {
      kind: string;
      items: Array<{ metadata: { name: string } }>;
      metadata: { continue?: string };
    };
    assert.equal(first.kind, 'SandboxList');
    assert.deepEqual(
      first.items.map((i) => i.metadata.name),
      ['p1', 'p2'],
    );
    const rest = (await (
      await kube(
        `${SANDBOXES}?labelSelector=page%3Dyes&limit=2&continue=${first.metadata.continue}`,
        admin,
      )
    ).json()) as { items: Array<{ metadata: { name: string } }> };
    assert.deepEqual(
      rest.items.map((i) => i.metadata.name),
      ['p3'],
    );
    const byName = (await (
      await kube(`${SANDBOXES}?fieldSelector=metadata.name%3Dp2`, admin)
    ).json()) as {
      items: Array<{ metadata: { name: string } }>;
    };
    assert.deepEqual(
      byName.items.map((i) => i.metadata.name),
      ['p2'],
    );
    const badField = await kube(`${SANDBOXES}?fieldSelector=spec.x%3D1`, admin);
    assert.equal(badField.status, 400, 'a field the kind has no label for: BadRequest');
    const table = (await (
      await kube(`${SANDBOXES}/p1`, admin, {
        headers: { accept: 'application/json;as=Table;g=meta.k8s.io;v=v1' },
      })
    ).json()) as {
      kind: string;
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[] }>;
    };
    assert.equal(table.kind, 'Table');
    assert.deepEqual(table.columnDefinitions.map((c) => c.name).slice(0, 4), [
      'Name',
      'Phase',
      'Ready',
      'Template',
    ]);
    assert.equal(table.rows[0]?.cells[0], 'p1');
    const patched = await kube(`${SANDBOXES}/p1`, admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/metadata/labels/extra', value: 'x' }]),
    });
    assert.equal(patched.status, 200);
    const after = (await patched.json()) as {
      metadata: {
        labels: Record<string, string>;
        managedFields: Array<{ manager: string; operation: string }>;
      };
    };
    assert.equal(after.metadata.labels.extra, 'x');
    assert.ok(after.metadata.managedFields.some((m) => m.operation === 'Update'));
    const dry = await kube(`${SANDBOXES}?dryRun=All`, admin, {
      method: 'POST',
      body: JSON.stringify(sandbox('dry')),
    });
    assert.equal(dry.status, 201);
    assert.equal((await kube(`${SANDBOXES}/dry`, admin)).status, 404, 'a dry run stores nothing');
  });

  it('watches from a version with bookmarks, and ends a compacted one with 410 Expired', async () => {
    const made = await kube(SANDBOXES, admin, {
      method: 'POST',
      body: JSON.stringify(sandbox('w1')),
    });
    const version = ((await made.json()) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;
    const abort = new AbortController();
    const res = await kube(
      `${SANDBOXES}?watch=true&resourceVersion=0&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dw1`,
      admin,
      { signal: abort.signal },
    );
    const reader = lines(res);
    const added = JSON.parse(await reader.next()) as {
      type: string;
      object: { metadata: { name: string } };
    };
    assert.deepEqual([added.type, added.object.metadata.name], ['ADDED', 'w1']);
    assert.equal((JSON.parse(await reader.next()) as { type: string }).type, 'BOOKMARK');
    const watchList = await kube(
      `${SANDBOXES}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dw1`,
      admin,
      { signal: abort.signal },
    );
    const listed = lines(watchList);
    assert.equal((JSON.parse(await listed.next()) as { type: string }).type, 'ADDED');
    const end = JSON.parse(await listed.next()) as {
      type: string;
      object: { metadata: { annotations?: Record<string, string> } };
    };
    assert.equal(end.type, 'BOOKMARK');
    assert.equal(end.object.metadata.annotations?.['k8s.io/initial-events-end'], 'true');
    await kube(`${SANDBOXES}/w1`, admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { seen: 'yes' } } }),
    });
    let modified: { type: string; object: { metadata: { labels?: Record<string, string> } } };
    do modified = JSON.parse(await reader.next());
    while (modified.object.metadata.labels?.seen !== 'yes');
    assert.equal(modified.type, 'MODIFIED');
    abort.abort();
    const store = s.engine.store as unknown as { compact(): Promise<void> };
    await store.compact();
    const old = await kube(`${SANDBOXES}?watch=true&resourceVersion=${version}`, admin);
    const error = JSON.parse(await lines(old).next()) as { type: string; object: Status };
    assert.equal(error.type, 'ERROR');
    assert.deepEqual([error.object.code, error.object.reason], [410, 'Expired']);
  });
});

/** The lines of a streamed body, one at a time. */
function lines(res: Response) {
  const decoder = new TextDecoder();
  const body = res.body?.getReader();
  let buffered = '';
  return {
    async next(): Promise<string> {
      for (;;) {
        const end = buffered.indexOf('\n');
        if (end >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          return line;
        }
        const chunk = await body?.read();
        if (chunk === undefined || chunk.done) throw new Error(`stream ended: ${buffered}`);
        buffered += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}
