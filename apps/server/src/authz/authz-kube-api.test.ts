// The Kubernetes API of `paddock up` as bob, on alice's objects of every owned kind: not listed
// (JSON or Table, one namespace or all), not on his watch, and every verb on one of hers answers
// NotFound and changes nothing, as through REST. Carol, whom alice shares her sandbox with, sees
// that sandbox and nothing else of hers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason } from '@paddock/testkit';
import { uniqueName } from '../ws/test-users.ts';
import { type AuthzWorld, type JsonValue, type Role, startAuthzWorld } from './authz-fixtures.ts';

const GROUP = '/apis/paddock.dev/v1alpha1';
const NS_PATH = `${GROUP}/namespaces/default`;
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' };

type Owned = { plural: string; kind: string; name: (fx: AuthzWorld) => string };
const OWNED: readonly Owned[] = [
  { plural: 'sandboxes', kind: 'Sandbox', name: (fx) => fx.box },
  { plural: 'agents', kind: 'Agent', name: (fx) => fx.agent },
  { plural: 'runs', kind: 'Run', name: (fx) => fx.run },
  { plural: 'volumes', kind: 'Volume', name: (fx) => fx.volume },
  { plural: 'sandboxsnapshots', kind: 'SandboxSnapshot', name: (fx) => fx.snapshot },
];

/** The lines of a streamed body, each parsed, read in the background. */
function readLines(res: Response): JsonValue[] {
  const events: JsonValue[] = [];
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) return;
        buffered += decoder.decode(chunk.value, { stream: true });
        for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
          events.push(JSON.parse(buffered.slice(0, end)));
          buffered = buffered.slice(end + 1);
        }
      }
    } catch {
      // Aborted at the end of the test.
    }
  })();
  return events;
}

async function until<T>(find: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The name of an object in a watch event or a Table row (whatever shape the client asked for). */
function namesIn(body: JsonValue): string[] {
  if (body?.kind === 'Table') return (body.rows as JsonValue[]).map((r) => r.cells[0] as string);
  return (body.items as JsonValue[]).map((item) => item.metadata.name as string);
}

describe("the Kubernetes API keeps alice's objects from bob", {
  skip: bwrapSkipReason(),
  timeout: 300_000,
}, () => {
  let fx: AuthzWorld;
  before(async () => {
    fx = await startAuthzWorld();
  });
  after(async () => {
    await fx?.close();
  });

  const kube = (role: Role, path: string, init: RequestInit = {}) =>
    fx.w.s.call(path, {
      ...init,
      ...(fx.tokenOf(role) === undefined ? {} : { token: fx.tokenOf(role) ?? '' }),
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  const read = async (role: Role, path: string, init: RequestInit = {}) => {
    const res = await kube(role, path, init);
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, text };
  };

  it('lists none of them to bob, as JSON or Table, in her namespace or across all', async () => {
    const wrong: string[] = [];
    for (const { plural, name } of OWNED) {
      for (const path of [`${NS_PATH}/${plural}`, `${GROUP}/${plural}`]) {
        for (const accept of ['application/json', TABLE]) {
          const seen = async (role: Role) => {
            const got = await read(role, path, { headers: { accept } });
            assert.equal(got.status, 200, `${path} as ${role}: ${got.text}`);
            return namesIn(got.body).includes(name(fx));
          };
          const [owner, other, shared] = await Promise.all(
            (['owner', 'other', 'shared'] as const).map(seen),
          );
          const sharedSees = plural === 'sandboxes';
          if (!owner) wrong.push(`${path} (${accept}): alice misses her own`);
          if (other) wrong.push(`${path} (${accept}): bob sees hers`);
          if (shared !== sharedSees) wrong.push(`${path} (${accept}): carol sees=${shared}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('answers every verb of bob on one of hers NotFound, and changes nothing', async () => {
    const wrong: string[] = [];
    for (const { plural, kind, name } of OWNED) {
      const path = `${NS_PATH}/${plural}/${name(fx)}`;
      const before = await read('admin', path);
      assert.equal(before.status, 200, before.text);
      const { status: _status, ...stored } = before.body;
      const attempts: Array<[string, RequestInit]> = [
        ['GET', { headers: { accept: 'application/json' } }],
        ['GET as Table', { headers: { accept: TABLE } }],
        ['PUT', { method: 'PUT', body: JSON.stringify(stored) }],
        [
          'merge patch',
          {
            method: 'PATCH',
            headers: { 'content-type': 'application/merge-patch+json' },
            body: JSON.stringify({ metadata: { labels: { taken: 'bob' } } }),
          },
        ],
        [
          'JSON patch',
          {
            method: 'PATCH',
            headers: { 'content-type': 'application/json-patch+json' },
            body: JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { t: 'bob' } }]),
          },
        ],
        [
          'server-side apply',
          {
            method: 'PATCH',
            headers: { 'content-type': 'application/apply-patch+yaml' },
            // A whole valid manifest: only the object's visibility may refuse it.
            body: JSON.stringify({
              apiVersion: stored.apiVersion,
              kind,
              metadata: { name: name(fx), labels: { taken: 'bob' } },
              spec: stored.spec,
            }),
          },
        ],
        ['DELETE', { method: 'DELETE' }],
        ['DELETE (dry run)', { method: 'DELETE', body: JSON.stringify({ dryRun: ['All'] }) }],
        ['DELETE (foreground)', { method: 'DELETE', body: '{"propagationPolicy":"Foreground"}' }],
      ];
      for (const [verb, init] of attempts) {
        const query = verb === 'server-side apply' ? '?fieldManager=bob&force=true' : '';
        const got = await read('other', `${path}${query}`, init);
        if (got.status !== 404 || got.body?.reason !== 'NotFound') {
          wrong.push(`${kind} ${verb}: ${got.status} ${got.text.slice(0, 160)}`);
        }
      }
      if (plural !== 'sandboxes') {
        // Carol shares alice's sandbox only.
        const got = await read('shared', path);
        if (got.status !== 404) wrong.push(`${kind} GET as carol: ${got.status}`);
      }
      const after = await read('admin', path);
      assert.equal(after.status, 200, `${kind} is gone: ${after.text}`);
      assert.equal(after.body.metadata.resourceVersion, before.body.metadata.resourceVersion, kind);
      assert.equal(after.body.metadata.deletionTimestamp, undefined, kind);
    }
    assert.deepEqual(wrong, []);
  });

  it("refuses bob's creates and dry runs that name her snapshot, volume, credential, sandbox or agent", async () => {
    const cases: Array<[string, unknown, string]> = [
      [
        'sandboxes',
        { kind: 'Sandbox', spec: { templateRef: SHELL, fromSnapshot: { name: fx.snapshot } } },
        'spec.fromSnapshot.name',
      ],
      [
        'sandboxes',
        {
          kind: 'Sandbox',
          spec: { templateRef: SHELL, volumes: [{ name: fx.volume, mountPath: '/data' }] },
        },
        'spec.volumes[0].name',
      ],
      [
        'sandboxsnapshots',
        { kind: 'SandboxSnapshot', spec: { sandboxRef: { name: fx.box } } },
        'spec.sandboxRef.name',
      ],
      [
        'runs',
        {
          kind: 'Run',
          spec: { agentRef: { name: fx.agent }, prompt: 'x', sandbox: { templateRef: SHELL } },
        },
        'spec.agentRef.name',
      ],
      [
        'agents',
        {
          kind: 'Agent',
          spec: {
            harness: { kind: 'command', command: ['env'] },
            credentials: [{ name: fx.credential, as: 'env', env: 'STOLEN' }],
          },
        },
        'spec.credentials[0].name',
      ],
    ];
    const wrong: string[] = [];
    for (const [plural, object, field] of cases) {
      for (const query of ['?dryRun=All', '']) {
        const name = uniqueName('bob-kube');
        const manifest = {
          apiVersion: 'paddock.dev/v1alpha1',
          ...(object as object),
          metadata: { name },
        };
        const posted = await read('other', `${NS_PATH}/${plural}${query}`, {
          method: 'POST',
          body: JSON.stringify(manifest),
        });
        if (posted.status !== 404 || !posted.text.includes(field)) {
          wrong.push(`POST ${plural}${query}: ${posted.status} ${posted.text.slice(0, 200)}`);
        }
        const applied = await read(
          'other',
          `${NS_PATH}/${plural}/${name}?fieldManager=bob${query === '' ? '' : '&dryRun=All'}`,
          {
            method: 'PATCH',
            headers: { 'content-type': 'application/apply-patch+yaml' },
            body: JSON.stringify(manifest),
          },
        );
        if (applied.status !== 404 || !applied.text.includes(field)) {
          wrong.push(`apply ${plural}${query}: ${applied.status} ${applied.text.slice(0, 200)}`);
        }
        const stored = await read('admin', `${NS_PATH}/${plural}/${name}`);
        if (stored.status !== 404) wrong.push(`${plural}/${name} was stored`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("never puts her objects on bob's watch, initial or live, as objects or Table rows", async () => {
    const abort = new AbortController();
    try {
      const watches = await Promise.all(
        OWNED.flatMap(({ plural }) =>
          [`${NS_PATH}/${plural}`, `${GROUP}/${plural}`].flatMap((path) =>
            ['application/json', TABLE].map(async (accept) => {
              const res = await kube('other', `${path}?watch=true&allowWatchBookmarks=true`, {
                signal: abort.signal,
                headers: { accept },
              });
              assert.equal(res.status, 200, path);
              return { path: `${path} (${accept})`, plural, events: readLines(res) };
            }),
          ),
        ),
      );
      // Alice changes each of her objects: a label on all she may change.
      for (const { plural, name } of OWNED) {
        const res = await kube('owner', `${NS_PATH}/${plural}/${name(fx)}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json' },
          body: JSON.stringify({ metadata: { labels: { watched: 'yes' } } }),
        });
        await res.body?.cancel();
        assert.equal(res.status, 200, `${plural}: ${res.status}`);
      }
      // Then bob makes one of his own of each kind but runs: on the same ordered stream, once
      // his object has arrived, every earlier event about hers has been dealt with.
      const bobs = uniqueName('bob-watch');
      const BOB_MAKES = ['volumes', 'sandboxes', 'agents', 'sandboxsnapshots'];
      for (const [plural, body] of [
        ['volumes', { kind: 'Volume', spec: {} }],
        ['sandboxes', { kind: 'Sandbox', spec: { templateRef: SHELL, desiredState: 'Stopped' } }],
        ['agents', { kind: 'Agent', spec: { harness: { kind: 'command', command: ['true'] } } }],
        ['sandboxsnapshots', { kind: 'SandboxSnapshot', spec: { sandboxRef: { name: bobs } } }],
      ] as const) {
        const made = await read('other', `${NS_PATH}/${plural}`, {
          method: 'POST',
          body: JSON.stringify({
            apiVersion: 'paddock.dev/v1alpha1',
            ...body,
            metadata: { name: bobs },
          }),
        });
        assert.equal(made.status, 201, made.text);
      }
      const nameOf = (event: JsonValue): string | undefined =>
        event.object?.kind === 'Table'
          ? event.object.rows?.[0]?.cells?.[0]
          : event.object?.metadata?.name;
      for (const watch of watches) {
        if (BOB_MAKES.includes(watch.plural)) {
          await until(
            () => watch.events.find((e) => nameOf(e) === bobs),
            `${bobs} on ${watch.path}`,
          );
        }
      }
      const aliceNames = new Set(OWNED.map(({ name }) => name(fx)));
      const leaked = watches.flatMap((watch) =>
        watch.events
          .filter((e) => e.type !== 'BOOKMARK' && aliceNames.has(nameOf(e) ?? ''))
          .map((e) => `${watch.path}: ${e.type} ${nameOf(e)}`),
      );
      assert.deepEqual(leaked, [], "alice's objects on bob's watch");
    } finally {
      abort.abort();
    }
  });
});
