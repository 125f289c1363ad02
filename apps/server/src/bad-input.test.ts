import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bwrapSkipReason } from '@paddock/testkit';
import { API, createRunningSandbox, startTestServer, type TestServer } from './test-server.ts';

type Envelope = {
  error: {
    code: string;
    message: string;
    details?: { issues?: { path: string; message: string }[] };
  };
};

/** A tar archive made by the system's tar from `files` (relative paths), with tar's `flags`. */
function tarOf(files: Record<string, string>, members: string[], flags: string[] = []): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bad-input-'));
  try {
    const root = join(dir, 'root');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return execFileSync('tar', ['-c', '-f', '-', '-C', root, ...flags, ...members]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same archive with byte `at` changed, and its header checksum left stale. */
function corrupt(archive: Buffer, at: number): Buffer {
  const copy = Buffer.from(archive);
  copy[at] = (copy[at] ?? 0) ^ 0x55;
  return copy;
}

const SANDBOX = '/api/v1/namespaces/default/sandboxes/box';
const TWO_FILES = { 'first.txt': 'first\n', 'second.txt': 'second\n' };

describe('bad client input is 400 validation_failed naming the field, never 500', {
  skip: bwrapSkipReason(),
}, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await createRunningSandbox(s, 'box');
  });
  after(() => s.close());

  /** Asserts a 400 `validation_failed` whose issues name `field` and whose message says `says`. */
  async function assertRefused(res: Response, field: string, says: RegExp): Promise<void> {
    const text = await res.text();
    assert.equal(res.status, 400, text);
    const { error } = JSON.parse(text) as Envelope;
    assert.equal(error.code, 'validation_failed', text);
    assert.ok(
      error.details?.issues?.some((issue) => issue.path === field),
      `no issue names ${field}: ${text}`,
    );
    assert.match(error.message, says);
    assert.doesNotMatch(text, /\n\s+at |\.ts:\d+/, 'a stack trace leaked');
  }

  const upload = (dir: string, body: Uint8Array) =>
    s.call(`${SANDBOX}/files/archive?path=${dir}`, { method: 'PUT', body });

  /** What `dir` holds in the sandbox (names), or undefined when it does not exist. */
  async function listing(dir: string): Promise<string[] | undefined> {
    const res = await s.call(`${SANDBOX}/files/list?path=${dir}`);
    if (res.status === 404) return undefined;
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { items: { name: string }[] }).items.map((i) => i.name);
  }

  describe('archive upload (PUT …/files/archive)', () => {
    const cases: Array<{ name: string; body: () => Uint8Array; says: RegExp }> = [
      {
        name: 'a body that is not a tar',
        body: () => new TextEncoder().encode('just some text, not an archive\n'.repeat(40)),
        says: /request body is not a tar archive/,
      },
      { name: 'an empty body', body: () => new Uint8Array(), says: /request body is empty/ },
      {
        name: 'a gzip-compressed tar',
        body: () => gzipSync(tarOf(TWO_FILES, ['first.txt'])),
        says: /gzip-compressed/,
      },
      {
        name: 'a tar cut off in its second member',
        // first.txt (header + one data block), then second.txt's header and 10 of its bytes.
        body: () => tarOf(TWO_FILES, ['first.txt', 'second.txt']).subarray(0, 1024 + 512 + 10),
        says: /cut off/,
      },
      {
        name: 'a tar whose second header is damaged',
        body: () => corrupt(tarOf(TWO_FILES, ['first.txt', 'second.txt']), 1024 + 10),
        says: /damaged tar archive: the header at byte 1024 has a bad checksum/,
      },
      {
        name: "a tar with a member that climbs out with '..'",
        body: () =>
          tarOf(
            { 'in/first.txt': 'x', 'evil.txt': 'x' },
            ['first.txt', '../evil.txt'],
            ['-P', '-C', 'in'],
          ),
        says: /'\.\.' component/,
      },
    ];
    cases.forEach(({ name, body, says }, i) => {
      it(`${name}: nothing is extracted`, async () => {
        const dir = `/workspace/upload-${i}`;
        await assertRefused(await upload(dir, body()), '(body)', says);
        assert.equal(await listing(dir), undefined, 'the target directory was touched');
      });
    });

    it('while archives made by tar (long names, GNU and pax) still extract', async () => {
      const long = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
      for (const format of ['gnu', 'pax', 'ustar']) {
        const files = { [long]: 'long\n', 'dir/x.txt': 'x\n' };
        const members = format === 'ustar' ? ['dir'] : ['dir', long.split('/')[0] ?? ''];
        const res = await upload(
          `/workspace/ok-${format}`,
          tarOf(files, members, [`--format=${format}`]),
        );
        assert.equal(res.status, 204, await res.text());
        assert.deepEqual(await listing(`/workspace/ok-${format}/dir`), ['x.txt']);
      }
    });
  });

  describe('credentials (POST …/credentials)', () => {
    const create = (body: Record<string, unknown>) =>
      s.call('/api/v1/namespaces/default/credentials', {
        method: 'POST',
        body: JSON.stringify(body),
      });
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    const cases: Array<{
      name: string;
      body: () => Record<string, unknown>;
      field: string;
      says: RegExp;
    }> = [
      {
        name: 'a files credential that is not a tar',
        body: () => ({ type: 'files', valueBase64: b64(new TextEncoder().encode('not a tar')) }),
        field: 'valueBase64',
        says: /tar archive of one directory; this one is not a tar archive/,
      },
      {
        name: 'a files credential given as text',
        body: () => ({ type: 'files', value: 'not a tar either' }),
        field: 'value',
        says: /is not a tar archive/,
      },
      {
        name: 'a files credential with two top-level entries',
        body: () => ({ type: 'files', valueBase64: b64(tarOf(TWO_FILES, Object.keys(TWO_FILES))) }),
        field: 'valueBase64',
        says: /holds 2 top-level entries/,
      },
      {
        name: 'a files credential holding a file, not a directory',
        body: () => ({ type: 'files', valueBase64: b64(tarOf(TWO_FILES, ['first.txt'])) }),
        field: 'valueBase64',
        says: /holds the file "first.txt", not a directory/,
      },
      {
        name: 'an env credential with NUL',
        body: () => ({ type: 'env', value: 'a\u0000b' }),
        field: 'value',
        says: /must not contain NUL/,
      },
      {
        name: 'an env credential whose bytes are not UTF-8',
        body: () => ({ type: 'env', valueBase64: b64(new Uint8Array([0x66, 0xff, 0xfe])) }),
        field: 'valueBase64',
        says: /must be UTF-8 text/,
      },
      {
        name: 'an apiKey with a line break',
        body: () => ({ type: 'apiKey', value: 'sk-abc\r\nX-Injected: 1' }),
        field: 'value',
        says: /without control characters/,
      },
    ];
    cases.forEach(({ name, body, field, says }, i) => {
      it(`${name}: nothing is stored`, async () => {
        const credential = `bad-${i}`;
        await assertRefused(await create({ name: credential, ...body() }), field, says);
        const got = await s.call(`/api/v1/namespaces/default/credentials/${credential}`);
        assert.equal(got.status, 404, await got.text());
      });
    });

    it('while a tar of one directory is stored', async () => {
      const tar = tarOf({ 'login/token.json': '{}' }, ['login']);
      const res = await create({ name: 'good-files', type: 'files', valueBase64: b64(tar) });
      assert.equal(res.status, 201, await res.text());
    });
  });

  describe('argv, environment and git URLs in templates and agents', () => {
    const template = (name: string, spec: Record<string, unknown>) =>
      s.call('/api/v1/namespaces/default/sandboxtemplates', {
        method: 'POST',
        body: JSON.stringify({
          apiVersion: API,
          kind: 'SandboxTemplate',
          metadata: { name },
          spec,
        }),
      });
    const agent = (name: string, spec: Record<string, unknown>) =>
      s.call('/api/v1/namespaces/default/agents', {
        method: 'POST',
        body: JSON.stringify({ apiVersion: API, kind: 'Agent', metadata: { name }, spec }),
      });
    const url = 'https://example.invalid/repo.git';
    const cases: Array<{
      name: string;
      send: (name: string) => Promise<Response>;
      field: string;
      says: RegExp;
    }> = [
      {
        name: 'a repo URL with NUL',
        send: (n) => template(n, { repos: [{ url: `${url}\u0000x` }] }),
        field: 'spec.repos[0].url',
        says: /control characters/,
      },
      {
        name: 'a repo URL with a line break',
        send: (n) => template(n, { repos: [{ url: `${url}\nprotocol=https` }] }),
        field: 'spec.repos[0].url',
        says: /control characters/,
      },
      {
        name: 'a repo ref with NUL',
        send: (n) => template(n, { repos: [{ url, ref: 'main\u0000' }] }),
        field: 'spec.repos[0].ref',
        says: /control characters/,
      },
      {
        name: 'an env value with NUL',
        send: (n) => template(n, { env: [{ name: 'A', value: 'a\u0000b' }] }),
        field: 'spec.env[0].value',
        says: /must not contain NUL/,
      },
      {
        name: 'a main command with NUL',
        send: (n) => template(n, { command: ['sleep\u0000', '100'] }),
        field: 'spec.command[0]',
        says: /must not contain NUL/,
      },
      {
        name: 'an init command with NUL',
        send: (n) => template(n, { init: [{ name: 'i', command: ['echo', 'a\u0000b'] }] }),
        field: 'spec.init[0].command[1]',
        says: /must not contain NUL/,
      },
      {
        name: "an agent's harness command with NUL",
        send: (n) => agent(n, { harness: { kind: 'command', command: ['run\u0000'] } }),
        field: 'spec.harness.command[0]',
        says: /must not contain NUL/,
      },
      {
        name: "an agent's model with NUL",
        send: (n) => agent(n, { harness: { kind: 'claude-code' }, model: 'm\u0000' }),
        field: 'spec.model',
        says: /must not contain NUL/,
      },
    ];
    cases.forEach(({ name, send, field, says }, i) => {
      it(`${name}: nothing is stored`, async () => {
        await assertRefused(await send(`bad-${i}`), field, says);
      });
    });
  });
});
