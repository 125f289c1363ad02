import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bwrapSkipReason } from '@paddock/testkit';
import { FileNotFoundError, InvalidArgumentError, Sandbox, SandboxError } from 'e2b';
import { ENVD_VERSION } from './e2b-server.ts';
import { type E2bWorld, startE2bWorld, UNKNOWN_SANDBOX } from './e2b-test-support.ts';

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

async function textOf(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe('envd /files through the e2b SDK', { skip: bwrapSkipReason(), timeout: 180_000 }, () => {
  let w: E2bWorld;
  let sbx: Sandbox;
  /** A raw request to the sandbox's envd, with its access token. */
  let envd: (path: string, init?: RequestInit) => Promise<Response>;

  before(async () => {
    w = await startE2bWorld();
    sbx = await w.restSandbox(w.alice);
    const token = (sbx as unknown as { envdAccessToken?: string }).envdAccessToken ?? '';
    envd = (path, init = {}) =>
      fetch(`${w.opts(w.alice).sandboxUrl}${path}`, {
        ...init,
        headers: {
          'e2b-sandbox-id': sbx.sandboxId,
          'x-access-token': token,
          ...(init.headers as Record<string, string>),
        },
      });
  });
  after(async () => {
    await w?.close();
  });

  it('reads a file as text, bytes, blob and stream', async () => {
    await sbx.files.write('r/read.txt', 'read me');
    assert.equal(await sbx.files.read('r/read.txt'), 'read me');
    assert.deepEqual(
      await sbx.files.read('r/read.txt', { format: 'bytes' }),
      new TextEncoder().encode('read me'),
    );
    assert.equal(await (await sbx.files.read('r/read.txt', { format: 'blob' })).text(), 'read me');
    assert.equal(await textOf(await sbx.files.read('r/read.txt', { format: 'stream' })), 'read me');
    await sbx.files.write('r/empty', '');
    assert.equal(await sbx.files.read('r/empty'), '');
    assert.equal((await sbx.files.read('r/empty', { format: 'bytes' })).length, 0);
  });

  it('streams a file past 64 MiB (the most a buffered read holds) whole, gzipped or not', async () => {
    const size = 80 * 1024 * 1024;
    const made = await sbx.commands.run(
      `yes 'a line of the big file' | head -c ${size} > big.txt && sha256sum big.txt`,
    );
    const expected = made.stdout.split(' ')[0];
    const digest = async (stream: ReadableStream<Uint8Array>) => {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of stream) {
        hash.update(chunk);
        bytes += chunk.byteLength;
      }
      return { bytes, hash: hash.digest('hex') };
    };
    // The SDK asks for gzip: the body streams compressed, chunked.
    const streamed = await sbx.files.read('big.txt', { format: 'stream' });
    assert.deepEqual(await digest(streamed), { bytes: size, hash: expected });
    const raw = await envd('/files?path=big.txt', { headers: { 'accept-encoding': 'identity' } });
    assert.equal(raw.headers.get('content-length'), String(size));
    assert.equal(raw.headers.get('content-encoding'), null);
    assert.deepEqual(await digest(raw.body ?? new ReadableStream()), {
      bytes: size,
      hash: expected,
    });
  });

  it('writes a string, an ArrayBuffer, a Blob and a ReadableStream', async () => {
    const buffer = new TextEncoder().encode('from a buffer').buffer as ArrayBuffer;
    const written = [
      await sbx.files.write('w/string.txt', 'from a string'),
      await sbx.files.write('w/buffer.txt', buffer),
      await sbx.files.write('w/blob.txt', new Blob(['from a blob'])),
      await sbx.files.write('/home/user/w/stream.txt', streamOf('from ', 'a stream')),
      await sbx.files.write('w/octet.txt', 'octets', { useOctetStream: true }),
    ];
    assert.deepEqual(
      written.map((info) => [info.name, info.type, info.path]),
      ['string', 'buffer', 'blob', 'stream', 'octet'].map((n) => [
        `${n}.txt`,
        'file',
        `/home/user/w/${n}.txt`,
      ]),
    );
    assert.equal(await sbx.files.read('w/string.txt'), 'from a string');
    assert.equal(await sbx.files.read('w/buffer.txt'), 'from a buffer');
    assert.equal(await sbx.files.read('w/blob.txt'), 'from a blob');
    assert.equal(await sbx.files.read('w/stream.txt'), 'from a stream');
    assert.equal(await sbx.files.read('w/octet.txt'), 'octets');
    await sbx.files.write('w/string.txt', 'replaced');
    assert.equal(await sbx.files.read('w/string.txt'), 'replaced');
  });

  it('writes several files in one call, each to its own path', async () => {
    const infos = await sbx.files.write([
      { path: 'many/one.txt', data: 'one' },
      { path: '/home/user/many/sub/two.txt', data: new Blob(['two']) },
      { path: '/tmp/three.txt', data: 'three' },
    ]);
    assert.deepEqual(
      infos.map((info) => info.path),
      ['/home/user/many/one.txt', '/home/user/many/sub/two.txt', '/tmp/three.txt'],
    );
    assert.equal(await sbx.files.read('many/one.txt'), 'one');
    assert.equal(await sbx.files.read('many/sub/two.txt'), 'two');
    assert.equal(await sbx.files.read('/tmp/three.txt'), 'three');
    const streamed = await sbx.files.write([
      { path: 's/a', data: streamOf('stream a') },
      { path: 's/b', data: streamOf('stream b') },
    ]);
    assert.equal(streamed.length, 2);
    assert.equal(await sbx.files.read('s/b'), 'stream b');
  });

  it('keeps a binary file byte for byte', async () => {
    const bytes = new Uint8Array(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
    await sbx.files.write('bin/data.bin', bytes.buffer);
    const back = await sbx.files.read('bin/data.bin', { format: 'bytes' });
    assert.equal(back.length, bytes.length);
    assert.ok(Buffer.from(back).equals(Buffer.from(bytes)));
    assert.equal((await sbx.files.getInfo('bin/data.bin')).size, bytes.length);
  });

  it('compresses with gzip both ways when asked', async () => {
    const text = 'compressible '.repeat(5_000);
    await sbx.files.write('gz/up.txt', text, { gzip: true });
    assert.equal(await sbx.files.read('gz/up.txt', { gzip: true }), text);
    assert.equal(await sbx.files.read('gz/up.txt'), text);

    const res = await envd('/files?path=gz/up.txt', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.ok(Number(res.headers.get('content-length')) < text.length / 10);
    assert.equal(await res.text(), text);
    const plain = await envd('/files?path=gz/up.txt', {
      headers: { 'accept-encoding': 'identity' },
    });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(Number(plain.headers.get('content-length')), text.length);
    await plain.arrayBuffer();

    const raw = await envd('/files?path=gz/raw.txt', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' },
      body: gzipSync('sent gzipped'),
    });
    assert.equal(raw.status, 200, await raw.clone().text());
    assert.deepEqual(await raw.json(), [
      { name: 'raw.txt', type: 'file', path: '/home/user/gz/raw.txt' },
    ]);
    assert.equal(await sbx.files.read('gz/raw.txt'), 'sent gzipped');
    const bad = await envd('/files?path=gz/bad.txt', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' },
      body: 'not gzip',
    });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });

  it('answers a multipart upload with a path, and refuses several files for one path', async () => {
    const one = new FormData();
    one.append('file', new Blob(['by path']), 'ignored-name');
    const res = await envd('/files?path=mp/by-path.txt', { method: 'POST', body: one });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), [
      { name: 'by-path.txt', type: 'file', path: '/home/user/mp/by-path.txt' },
    ]);
    const two = new FormData();
    two.append('file', new Blob(['a']), 'a');
    two.append('file', new Blob(['b']), 'b');
    const refused = await envd('/files?path=mp/both', { method: 'POST', body: two });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { message: string }).message, /several files/);
  });

  it('maps errors to what the SDK raises', async () => {
    await assert.rejects(sbx.files.read('nope/missing.txt'), FileNotFoundError);
    await assert.rejects(
      sbx.files.read('nope/missing.txt', { format: 'stream' }),
      FileNotFoundError,
    );
    await sbx.files.makeDir('adir');
    await assert.rejects(sbx.files.read('adir'), InvalidArgumentError);
    await assert.rejects(sbx.files.write('adir', 'x'), InvalidArgumentError);
    for (const attempt of [
      () => sbx.files.read('/etc/hostname'),
      () => sbx.files.write('/etc/planted', 'x'),
      () => sbx.files.write([{ path: '../../usr/planted', data: 'x' }]),
    ]) {
      const error = await attempt().then(
        () => assert.fail('not refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof SandboxError, String(error));
      assert.match(error.message, /403.*outside the sandbox/);
    }
    await assert.rejects(
      sbx.files.write('meta.txt', 'x', { metadata: { owner: 'me' } }),
      (e: unknown) => e instanceof InvalidArgumentError && /metadata/.test(e.message),
    );
    await assert.rejects(sbx.files.read('w.txt', { user: 'root' }), /one unprivileged user/);
  });

  it('answers a wrong access token as for a sandbox that does not exist', async () => {
    const Ctor = Sandbox as unknown as new (o: Record<string, unknown>) => Sandbox;
    const stranger = new Ctor({
      ...w.opts(w.alice),
      sandboxId: sbx.sandboxId,
      envdVersion: ENVD_VERSION,
      envdAccessToken: 'not-the-token',
    });
    await sbx.files.write('secret.txt', 'mine');
    await assert.rejects(stranger.files.read('secret.txt'), UNKNOWN_SANDBOX);
    await assert.rejects(stranger.files.write('secret.txt', 'theirs'), UNKNOWN_SANDBOX);
    assert.equal(await sbx.files.read('secret.txt'), 'mine');
  });
});
