// GET …/files streams a file of any size: a 200 MiB (sparse) file in a real bubblewrap sandbox,
// read through the REST API of a real `paddock up` child process, whose memory is read from
// /proc while a slow client holds the transfer. Refusals come before the first byte; a sandbox
// stopped midway cuts the response, and so does an archive tar could not make whole.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from '@paddock/testkit';

const serverMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const MiB = 1024 * 1024;
const FILE_BYTES = 200 * MiB;

/** A process's resident memory now (`VmRSS`) and at its peak since the last reset (`VmHWM`). */
function memoryOf(pid: number): { rssBytes: number; peakBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssBytes: kib('VmRSS') * 1024, peakBytes: kib('VmHWM') * 1024 };
}

/** Resets the peak (`VmHWM`) to the current RSS; false where the kernel does not let us. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

describe('file reads stream through the REST API', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-file-stream-'));
  const box = 'streams';
  let server: PaddockProcess;
  let paddock: PaddockClient;
  const url = (path: string) =>
    `${server.url}/api/v1/namespaces/default/sandboxes/${box}/files?path=${encodeURIComponent(path)}`;
  const inBox = async (script: string) => {
    const result = await paddock.sandboxes.exec(box, { command: ['sh', '-c', script] });
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    server = await startPaddockProcess([serverMain, '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
    await paddock.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: box },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await paddock.sandboxes.waitFor(box, (s) => s.status?.phase === 'Running', {
      timeoutMs: 60_000,
    });
  });

  after(async () => {
    try {
      await paddock?.sandboxes.delete(box).catch(() => {});
      await paddock?.sandboxes.waitFor(box, () => false, { timeoutMs: 30_000 }).catch(() => {});
    } finally {
      await server?.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('streams a 200 MiB file whole to a slow client, the server holding a bounded part of it', async (t) => {
    // Sparse, with bytes at both ends so a shifted or cut copy hashes differently.
    const expected = (
      await inBox(
        `cd /workspace && truncate -s ${FILE_BYTES} big && printf head | dd of=big conv=notrunc status=none &&
         printf tail | dd of=big bs=1 seek=${FILE_BYTES - 4} conv=notrunc status=none && sha256sum big`,
      )
    ).split(' ')[0];
    const before = memoryOf(server.pid);
    const isPeakReset = resetPeak(server.pid);
    let peakRss = before.rssBytes;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryOf(server.pid).rssBytes);
    }, 20);
    try {
      const res = await fetch(url('/workspace/big'));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), String(FILE_BYTES));
      const reader = (res.body ?? new ReadableStream<Uint8Array>()).getReader();
      const hash = createHash('sha256');
      let bytes = 0;
      const take = (chunk: Uint8Array) => {
        hash.update(chunk);
        bytes += chunk.byteLength;
      };
      const first = await reader.read();
      assert.equal(first.done, false);
      take(first.value ?? new Uint8Array());
      // A slow client: nothing read for a while. A server that buffered would take it all now.
      await sleep(1_000);
      const whilePaused = memoryOf(server.pid).rssBytes;
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        take(next.value);
      }
      assert.equal(bytes, FILE_BYTES);
      assert.equal(hash.digest('hex'), expected);
      const after = memoryOf(server.pid);
      const peak = isPeakReset ? Math.max(after.peakBytes, peakRss) : peakRss;
      const growth = peak - before.rssBytes;
      t.diagnostic(
        `server RSS before ${(before.rssBytes / MiB).toFixed(1)} MiB, while the client paused ` +
          `${(whilePaused / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB ` +
          `(${isPeakReset ? 'VmHWM' : 'sampled'}): growth ${(growth / MiB).toFixed(1)} MiB for a ` +
          `${FILE_BYTES / MiB} MiB file`,
      );
      // While the client reads nothing the server takes nothing more: its pipes and sockets
      // are full and the copy inside the sandbox waits.
      const pausedGrowth = whilePaused - before.rssBytes;
      assert.ok(pausedGrowth < 64 * MiB, `paused, the server grew ${pausedGrowth / MiB} MiB`);
      // Flowing, the chunks passed on are garbage V8 collects in batches (tens of MiB, the
      // same for a 600 MiB file): well below the file, which a buffering server would exceed.
      assert.ok(growth < 150 * MiB, `the server grew by ${(growth / MiB).toFixed(1)} MiB`);
    } finally {
      clearInterval(sampler);
    }
  });

  it('answers refusals before the first byte, with their status', async () => {
    await inBox('mkdir -p /workspace/dir && mkfifo /workspace/fifo');
    for (const [path, status, code] of [
      ['/workspace/missing', 404, 'not_found'],
      ['/workspace/dir', 400, 'validation_failed'],
      ['/workspace/fifo', 400, 'validation_failed'],
      ['/etc/passwd', 400, 'path_outside_sandbox'],
    ] as const) {
      const res = await fetch(url(path));
      const body = (await res.json()) as { error: { code: string } };
      assert.deepEqual([res.status, body.error.code], [status, code], path);
    }
  });

  it('cuts an archive download tar could not make whole; refuses a missing path before it', async () => {
    const archive = (path: string) =>
      fetch(
        `${server.url}/api/v1/namespaces/default/sandboxes/${box}/files/archive?path=${encodeURIComponent(path)}`,
      );
    // A file its own user made unreadable: tar leaves it out and exits 2 after the last byte.
    await inBox(
      'mkdir -p /workspace/tree && echo a > /workspace/tree/a && echo b > /workspace/tree/b',
    );
    await inBox('chmod 000 /workspace/tree/b');
    const res = await archive('/workspace/tree');
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer(), 'an archive missing a file ended as if whole');
    await inBox('chmod 644 /workspace/tree/b');
    const whole = await archive('/workspace/tree');
    assert.equal(whole.status, 200);
    assert.ok((await whole.arrayBuffer()).byteLength >= 10240);
    const missing = await archive('/workspace/missing');
    const body = (await missing.json()) as { error: { code: string } };
    assert.deepEqual([missing.status, body.error.code], [404, 'not_found']);
  });

  it('cuts the response when the sandbox stops midway, never ends it as if whole', async () => {
    await inBox(`truncate -s ${FILE_BYTES} /workspace/cut`);
    const res = await fetch(url('/workspace/cut'));
    assert.equal(res.status, 200);
    const reader = (res.body ?? new ReadableStream<Uint8Array>()).getReader();
    let bytes = (await reader.read()).value?.byteLength ?? 0;
    await paddock.sandboxes.stop(box);
    await paddock.sandboxes.waitFor(box, (s) => s.status?.phase === 'Stopped', {
      timeoutMs: 60_000,
    });
    await assert.rejects(async () => {
      for (;;) {
        const next = await reader.read();
        if (next.done) return;
        bytes += next.value.byteLength;
      }
    }, 'the body ended as if whole');
    assert.ok(bytes < FILE_BYTES, `${bytes} bytes came`);
  });
});
