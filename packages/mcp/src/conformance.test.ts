// The server scenarios of the official MCP conformance suite against `paddock up`'s /mcp, with
// the committed baseline of scenarios that do not apply (conformance-baseline.yml, each with its
// reason): an unexpected failure, or a listed scenario that passes, fails this test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalRuntime } from '@paddock/runtime-local';
import { type PaddockProcess, startPaddockProcess } from '@paddock/testkit';

const SERVER_MAIN = new URL('../../../apps/server/src/main.ts', import.meta.url).pathname;
const BASELINE = new URL('../conformance-baseline.yml', import.meta.url).pathname;
const RUNNER = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')),
  'dist',
  'index.js',
);

describe('the MCP conformance suite against /mcp', { timeout: 600_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-mcp-conformance-'));
  const scratch = mkdtempSync(join(tmpdir(), 'paddock-mcp-conformance-out-'));
  let server: PaddockProcess;
  before(async () => {
    // The suite opens a session per scenario in quick succession, as one anonymous caller on
    // loopback: the per-caller rate limit (50/s) would turn that into 429s.
    server = await startPaddockProcess([
      SERVER_MAIN,
      ...['--addr', '127.0.0.1:0', '--home', home],
      ...['--rate-limit', '100000', '--rate-burst', '100000'],
    ]);
  });
  after(async () => {
    await server?.stop();
    const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
    for (const ref of await runtime.list()) await runtime.destroy(ref);
    rmSync(home, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('passes every server scenario but those the baseline lists, and those fail', async () => {
    const outcome = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [RUNNER, 'server', '--url', `${server.url}/mcp`, '--expected-failures', BASELINE],
        { cwd: scratch, timeout: 540_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
            output: `${stdout}\n${stderr}`,
          }),
      );
    });
    const summary = outcome.output.slice(outcome.output.indexOf('=== SUMMARY ==='));
    assert.equal(outcome.code, 0, summary || outcome.output.slice(-4000));
    assert.match(summary, /server-initialize: 1 passed, 0 failed/);
    assert.match(summary, /tools-list: 1 passed, 0 failed/);
  });
});
