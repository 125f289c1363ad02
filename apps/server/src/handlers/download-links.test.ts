// Signed download links on a real server (auth required) and the real bubblewrap runtime: a link
// streams without a header, with Content-Disposition; it is refused (403 naming why) when
// altered, expired, used on another sandbox, or once its signer's key is revoked; an unshare
// hides the sandbox from it as from its signer.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { inspectTar } from '../tar-archive.ts';
import { API } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { DownloadLinkSigner, LinkProblem } from './download-link-token.ts';
import { contentDisposition, downloadFilename } from './download-links.ts';

const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' } as const;
const NON_ASCII = '/workspace/rapport été €.txt';
const BIG_BYTES = 24 * 1024 * 1024;

type Link = { url: string; expiresAt: string; filename: string; kind: string };

describe('content disposition of a download', () => {
  it('names the file in ASCII and, exactly, in filename* (RFC 5987)', () => {
    assert.equal(
      contentDisposition('rapport été €.txt'),
      `attachment; filename="rapport _t_ _.txt"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9%20%E2%82%AC.txt`,
    );
    assert.equal(
      contentDisposition(`a"b\\c%d'(e)*.txt`),
      `attachment; filename="a_b_c_d'(e)*.txt"; filename*=UTF-8''a%22b%5Cc%25d%27%28e%29%2A.txt`,
    );
  });

  it('takes the last name of the path, .tar added for an archive', () => {
    assert.equal(downloadFilename('/workspace/out/', 'archive', 'box'), 'out.tar');
    assert.equal(downloadFilename('/workspace/a.txt', 'file', 'box'), 'a.txt');
    assert.equal(downloadFilename('/', 'archive', 'box'), 'box.tar');
  });

  it('refuses a token past its expiry, naming when it expired', () => {
    const signer = new DownloadLinkSigner();
    const principal = { id: 'alice', roles: ['user' as const], via: 'api-key' as const };
    const scope = { namespace: 'default', name: 'b', uid: 'u', path: '/x', kind: 'file' as const };
    const { token, exp } = signer.sign(principal, scope, 1_000_000);
    assert.equal(signer.verify(token, scope, exp - 1).scope.path, '/x');
    assert.throws(
      () => signer.verify(token, scope, exp),
      (error: Error & { details?: { reason?: string } }) =>
        error.details?.reason === LinkProblem.Expired && /expired at 1970/.test(error.message),
    );
  });
});

describe('signed download links', { skip: bwrapSkipReason(), timeout: 180_000 }, () => {
  let w: AuthWorld;
  let carol: string;
  const box = uniqueName('dl-box');
  const other = uniqueName('dl-other');
  const files = (name: string) => `/api/v1/namespaces/default/sandboxes/${name}/files`;
  const exec = async (script: string) => {
    const res = await w.s.call(`/api/v1/namespaces/default/sandboxes/${box}/exec`, {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ command: ['sh', '-c', script] }),
    });
    const result = (await res.json()) as { exitCode: number; stdout: string; stderr: string };
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout;
  };
  const sign = async (token: string, path: string, kind?: 'file' | 'archive', name = box) => {
    const res = await w.s.call(`${files(name)}/download-link`, {
      method: 'POST',
      token,
      body: JSON.stringify({ path, ...(kind === undefined ? {} : { kind }) }),
    });
    return { status: res.status, body: (await res.json()) as Link & { error?: { code: string } } };
  };
  const link = async (token: string, path: string, kind?: 'file' | 'archive') => {
    const { status, body } = await sign(token, path, kind);
    assert.equal(status, 200, JSON.stringify(body));
    return body;
  };
  /** GETs a link with no Authorization header at all. */
  const open = (url: string) => fetch(`${w.s.url}${url}`);
  const refusal = async (res: Response) => {
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { reason?: string } };
    };
    return { status: res.status, ...body.error, reason: body.error.details.reason };
  };
  const keyFor = async (owner: string) => {
    const res = await w.s.call('/api/v1/apikeys', {
      method: 'POST',
      token: w.admin,
      body: JSON.stringify({ name: owner, owner, role: 'user' }),
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { key: string; apiKey: { id: string } }).key;
  };

  before(async () => {
    w = await startAuthWorld();
    carol = await keyFor('carol');
    await w.createSandbox(box, w.alice, SHELL);
    await w.createSandbox(other, w.alice, SHELL);
    const sandbox = `/api/v1/namespaces/default/sandboxes/${box}`;
    const current = (await (await w.s.call(sandbox, { token: w.alice })).json()) as {
      spec: object;
      metadata: object;
    };
    const shared = await w.s.call(sandbox, {
      method: 'PUT',
      token: w.alice,
      body: JSON.stringify({ ...current, spec: { ...current.spec, sharedWith: ['carol'] } }),
    });
    assert.equal(shared.status, 200, await shared.text());
    await exec(
      `printf 'bonjour\\n' > '${NON_ASCII}' && mkdir -p /workspace/out/sub && ` +
        `echo one > /workspace/out/one.txt && echo two > /workspace/out/sub/two.txt && ` +
        `head -c ${BIG_BYTES} /dev/urandom > /workspace/big.bin`,
    );
  });
  after(async () => {
    await w?.s.close();
  });

  it('streams a file with no credential, as an attachment with its name encoded', async () => {
    const got = await link(w.alice, NON_ASCII);
    assert.equal(got.filename, 'rapport été €.txt');
    assert.equal(got.kind, 'file');
    assert.ok(Date.parse(got.expiresAt) - Date.now() <= 60_000);
    const res = await open(got.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('content-length'), '8');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(
      res.headers.get('content-disposition'),
      `attachment; filename="rapport _t_ _.txt"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9%20%E2%82%AC.txt`,
    );
    assert.equal(await res.text(), 'bonjour\n');
  });

  it('streams a 24 MiB file byte-exact', async () => {
    const expected = (await exec('sha256sum /workspace/big.bin')).split(' ')[0];
    const res = await open((await link(w.alice, '/workspace/big.bin')).url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(BIG_BYTES));
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res.body ?? []) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    assert.equal(bytes, BIG_BYTES);
    assert.equal(hash.digest('hex'), expected);
  });

  it('streams a directory as a tar archive named after it', async () => {
    const got = await link(w.alice, '/workspace/out/', 'archive');
    assert.equal(got.filename, 'out.tar');
    const res = await open(got.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-tar');
    assert.match(res.headers.get('content-disposition') ?? '', /filename\*=UTF-8''out\.tar$/);
    const inspection = inspectTar(new Uint8Array(await res.arrayBuffer()));
    assert.ok('entries' in inspection, JSON.stringify(inspection));
    const names = inspection.entries.map((e) => e.name.replace(/^\.\//, ''));
    for (const name of ['out/one.txt', 'out/sub/two.txt']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
  });

  it('refuses to sign a directory as a file, a missing path, or for a caller who cannot see it', async () => {
    const dir = await sign(w.alice, '/workspace/out');
    assert.equal(dir.status, 400);
    assert.match(JSON.stringify(dir.body), /"path":"kind"/);
    assert.equal((await sign(w.alice, '/workspace/nothing-here')).status, 404);
    assert.equal((await sign(w.bob, '/workspace/big.bin')).status, 404);
    const relative = await sign(w.alice, 'workspace/big.bin');
    assert.equal(relative.status, 400);
    assert.match(JSON.stringify(relative.body), /"path":"path".*absolute path/);
  });

  it('refuses an altered link: another path or a forged signature', async () => {
    const { url } = await link(w.alice, NON_ASCII);
    const token = new URL(url, 'http://x').searchParams.get('token') ?? '';
    const [body = '', mac = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const otherPath = Buffer.from(JSON.stringify({ ...claims, path: '/workspace/big.bin' }));
    for (const forged of [
      `${otherPath.toString('base64url')}.${mac}`,
      `${body}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`,
    ]) {
      const got = await refusal(await open(`${files(box)}/download?token=${forged}`));
      assert.equal(got.status, 403);
      assert.equal(got.code, 'forbidden');
      assert.equal(got.reason, LinkProblem.BadSignature);
      assert.match(got.message, /signature does not match/);
    }
    const garbage = await refusal(await open(`${files(box)}/download?token=nonsense`));
    assert.deepEqual([garbage.status, garbage.reason], [403, LinkProblem.Malformed]);
    const missing = await refusal(await open(`${files(box)}/download`));
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing), /query\.token/);
  });

  it("refuses a link used on another sandbox's URL", async () => {
    const { url } = await link(w.alice, NON_ASCII);
    const got = await refusal(
      await open(url.replace(`/sandboxes/${box}/`, `/sandboxes/${other}/`)),
    );
    assert.equal(got.status, 403);
    assert.equal(got.reason, LinkProblem.OtherSandbox);
    assert.match(got.message, new RegExp(`for sandbox default/${box}, not default/${other}`));
  });

  it('expires with the key that signed it, and once its key is revoked', async () => {
    const short = await w.s.call('/api/v1/apikeys', {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ name: 'short', expiresIn: '2s' }),
    });
    const { key: shortKey } = (await short.json()) as { key: string };
    const expiring = await link(shortKey, NON_ASCII);
    assert.ok(Date.parse(expiring.expiresAt) - Date.now() <= 2_000, expiring.expiresAt);
    await new Promise((resolve) =>
      setTimeout(resolve, Date.parse(expiring.expiresAt) - Date.now()),
    );
    const expired = await refusal(await open(expiring.url));
    assert.deepEqual([expired.status, expired.reason], [403, LinkProblem.Expired]);
    assert.match(expired.message, /expired at .*ask for a new one/);

    const made = await w.s.call('/api/v1/apikeys', {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ name: 'to revoke' }),
    });
    const { key, apiKey } = (await made.json()) as { key: string; apiKey: { id: string } };
    const { url } = await link(key, NON_ASCII);
    assert.equal((await open(url)).status, 200);
    const revoked = await w.s.call(`/api/v1/apikeys/${apiKey.id}`, {
      method: 'DELETE',
      token: w.alice,
    });
    assert.equal(revoked.status, 200);
    const got = await refusal(await open(url));
    assert.deepEqual([got.status, got.reason], [403, LinkProblem.SignerRefused]);
    assert.match(got.message, /revoked/);
  });

  it('stops working for a caller the sandbox is no longer shared with', async () => {
    const { url } = await link(carol, NON_ASCII);
    assert.equal((await open(url)).status, 200);
    const sandbox = `/api/v1/namespaces/default/sandboxes/${box}`;
    const current = (await (await w.s.call(sandbox, { token: w.alice })).json()) as {
      apiVersion: string;
      spec: object;
    };
    assert.equal(current.apiVersion, API);
    const unshared = await w.s.call(sandbox, {
      method: 'PUT',
      token: w.alice,
      body: JSON.stringify({ ...current, spec: { ...current.spec, sharedWith: [] } }),
    });
    assert.equal(unshared.status, 200, await unshared.text());
    const got = await refusal(await open(url));
    assert.equal(got.status, 404);
    assert.equal(got.code, 'not_found');
  });

  it('refuses a link to a sandbox deleted and made again under its name', async () => {
    const again = uniqueName('dl-again');
    await w.createSandbox(again, w.alice, SHELL);
    const signed = await sign(w.alice, '/workspace', 'archive', again);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const sandbox = `/api/v1/namespaces/default/sandboxes/${again}`;
    const deleted = await w.s.call(sandbox, { method: 'DELETE', token: w.alice });
    assert.ok(deleted.status < 300, await deleted.text());
    await eventually(async () => (await w.s.call(sandbox, { token: w.alice })).status === 404, {
      what: `sandbox ${again} deleted`,
      timeoutMs: 60_000,
    });
    await w.createSandbox(again, w.alice, SHELL);
    const got = await refusal(await open(signed.body.url));
    assert.deepEqual([got.status, got.reason], [403, LinkProblem.SandboxReplaced]);
    assert.match(got.message, new RegExp(`for an earlier sandbox default/${again}, deleted since`));
  });
});
