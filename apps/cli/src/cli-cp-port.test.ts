// The real `paddock sandbox cp` and `sandbox port`, as child processes, against a real `paddock up`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';
import { exitCodeFor } from './exit-codes.ts';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
// Unique per run: cgroups are named by namespace and sandbox on the host.
const box = `cp-${randomBytes(3).toString('hex')}`;

describe('paddock sandbox cp and port against a real paddock up', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-cp-'));
  const work = mkdtempSync(join(tmpdir(), 'paddock-cli-cp-work-'));
  let server: PaddockProcess;
  let paddock: PaddockClient;

  const cli = (args: string[], stdin = '') => runCli(['--server', server.url, ...args], { stdin });
  const inBox = async (script: string) => {
    const result = await paddock.sandboxes.exec(box, { command: ['sh', '-c', script] });
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
    await paddock.resources('SandboxTemplate').create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'SandboxTemplate',
      metadata: { name: 'web' },
      spec: {
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
        files: [{ path: '/workspace/site/hello.txt', content: 'hello through the port\n' }],
        command: ['python3', '-m', 'http.server', '8000', '--directory', '/workspace/site'],
        ports: [{ name: 'web', port: 8000, protocol: 'http' }],
      },
    });
    await paddock.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: box },
      spec: { templateRef: { name: 'web' } },
    });
    await paddock.sandboxes.waitFor(box, (s) => s.status?.phase === 'Running', {
      timeoutMs: 60_000,
    });
  });

  after(async () => {
    try {
      await deleteAllSandboxes(paddock);
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('copies a file up and down, keeping its mode', async () => {
    const script = join(work, 'run.sh');
    writeFileSync(script, '#!/bin/sh\necho ran\n');
    chmodSync(script, 0o750);
    const up = await cli(['sandbox', 'cp', script, `${box}:/workspace/run.sh`]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await inBox('stat -c %a /workspace/run.sh; /workspace/run.sh'), '750\nran\n');
    const back = join(work, 'back.sh');
    const down = await cli(['sandbox', 'cp', `${box}:run.sh`, back]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(back, 'utf8'), '#!/bin/sh\necho ran\n');
    assert.equal(statSync(back).mode & 0o777, 0o750);
    const piped = await cli(['sandbox', 'cp', '-', `${box}:/workspace/piped.txt`], 'from stdin\n');
    assert.equal(piped.code, 0, piped.stderr);
    const out = await cli(['sandbox', 'cp', `${box}:/workspace/piped.txt`, '-']);
    assert.equal(out.stdout, 'from stdin\n');
  });

  it('copies a file past 64 MiB down, streamed to the local file', async () => {
    const size = 100 * 1024 * 1024;
    const hash = (
      await inBox(
        `cd /workspace && truncate -s ${size} big && printf ends | dd of=big conv=notrunc status=none && sha256sum big`,
      )
    ).split(' ')[0];
    const local = join(work, 'big');
    const down = await cli(['sandbox', 'cp', `${box}:big`, local]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(statSync(local).size, size);
    assert.equal(createHash('sha256').update(readFileSync(local)).digest('hex'), hash);
    rmSync(local);
  });

  it('copies a directory tree up and down', async () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'alpha\n');
    writeFileSync(join(tree, 'sub', 'deeper', 'b.sh'), 'beta\n');
    chmodSync(join(tree, 'sub', 'deeper', 'b.sh'), 0o700);
    const up = await cli(['sandbox', 'cp', tree, `${box}:/workspace/copy`]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(
      await inBox('cd /workspace/copy && cat a.txt sub/deeper/b.sh && stat -c %a sub/deeper/b.sh'),
      'alpha\nbeta\n700\n',
    );
    // Into an existing directory: the copy lands inside it, named like the source.
    const into = await cli(['sandbox', 'cp', tree, `${box}:/workspace/copy`]);
    assert.equal(into.code, 0, into.stderr);
    assert.equal(await inBox('cat /workspace/copy/tree/a.txt'), 'alpha\n');

    const down = join(work, 'down');
    const got = await cli(['sandbox', 'cp', `${box}:/workspace/copy`, down]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(readFileSync(join(down, 'a.txt'), 'utf8'), 'alpha\n');
    assert.equal(readFileSync(join(down, 'sub', 'deeper', 'b.sh'), 'utf8'), 'beta\n');
    assert.equal(statSync(join(down, 'sub', 'deeper', 'b.sh')).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(down, 'tree', 'a.txt'), 'utf8'), 'alpha\n');
  });

  it('refuses a missing path, and two local or two sandbox paths', async () => {
    const missing = await cli(['sandbox', 'cp', `${box}:/workspace/nope.txt`, join(work, 'x')]);
    assert.equal(missing.code, 3, missing.stderr);
    const local = await cli(['sandbox', 'cp', join(work, 'a'), join(work, 'b')]);
    assert.equal(local.code, exitCodeFor('validation_failed'));
    assert.match(local.stderr, /both are local/);
    const remote = await cli(['sandbox', 'cp', `${box}:/a`, 'other:/b']);
    assert.equal(remote.code, exitCodeFor('validation_failed'));
  });

  it('lists the ports, forwards one locally, and refuses an undeclared one', async () => {
    const list = await cli(['sandbox', 'port', box]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /^PORT\s+PROTOCOL\s+PREVIEW URL\n8000\s+http\s+http:\/\/8000--\S+\.preview\.localhost:\d+\/\?paddock_preview=/,
    );

    const child = spawn(
      process.execPath,
      [main, '--server', server.url, 'sandbox', 'port', box, '8000', '--local', '127.0.0.1:0'],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const m = /^Forwarding (\S+) -> sandbox \S+ port 8000 \(Ctrl-C to stop\)$/m.exec(stdout);
          if (m?.[1]) resolve(m[1]);
        });
        child.on('close', () => reject(new Error(`exited early: ${stderr}`)));
      });
      // The app may still be starting: a refused connection is retried.
      const body = await eventually(
        async () => {
          const res = await fetch(`http://${address}/hello.txt`);
          const text = await res.text();
          assert.equal(res.status, 200, text);
          return text;
        },
        { what: `hello.txt through ${address}`, timeoutMs: 10_000 },
      );
      assert.equal(body, 'hello through the port\n');
      assert.equal(await (await fetch(`http://${address}/hello.txt`)).text(), body);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);

    const undeclared = await cli(['sandbox', 'port', box, '9999', '--local', '127.0.0.1:0']);
    assert.equal(undeclared.code, 3);
    assert.match(undeclared.stderr, /port 9999 is not a port of sandbox cp-/);
  });
});
