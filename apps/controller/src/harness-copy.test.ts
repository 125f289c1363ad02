// What the init container of a sandbox pod runs: the copy must hold everything the harness
// loads. It is run here as the init container runs it (`paddock controller copy-harness`), then
// the copy alone — mounted read-only at the sandbox's harness path in a bubblewrap namespace that
// sees this machine's /usr and /etc but nothing of this installation — runs `paddock-agent wrap`
// and Claude Code's CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isPaddockError } from '@paddock/core';
import {
  HARNESS_LAYOUT,
  HARNESS_PATH,
  harnessSandboxArgs,
  SANDBOX_HARNESS_PATHS,
} from '@paddock/kube';
import { parseCopyArgs } from './harness-copy.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** argv run in a namespace with the copy at HARNESS_PATH, read-only, and no other Paddock. */
const inSandbox = (harness: string, argv: string[]) => [...harnessSandboxArgs(harness), ...argv];

describe('paddock controller copy-harness', () => {
  // About 280 MiB: in memory where there is a tmpfs, so the test does not wait on the disk.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'paddock-harness-copy-'));
  const harness = join(dir, 'harness');
  let report = '';

  before(async () => {
    const copied = await run(process.execPath, [
      MAIN,
      'copy-harness',
      `--to=${harness}`,
      '--clis=claude-code',
    ]);
    report = copied.stderr;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('copies Node.js, the harness and Claude Code, and leaves out the CLIs not asked for', () => {
    assert.match(report, /copied the harness to .*: \d+ packages, \d+ files, \d+ bytes/);
    assert.doesNotMatch(report, /not in this image/);
    assert.ok(existsSync(join(harness, HARNESS_LAYOUT.node)));
    assert.ok(existsSync(join(harness, HARNESS_LAYOUT.agentMain)));
    const modules = join(harness, HARNESS_LAYOUT.nodeModules);
    assert.ok(existsSync(join(modules, '@anthropic-ai/claude-code/cli.js')));
    assert.ok(!existsSync(join(modules, '@openai/codex')));
    assert.ok(!existsSync(join(modules, 'opencode-ai')));
    // Workspace packages stay outside node_modules (Node strips types only there), linked.
    assert.equal(readlinkSync(join(modules, '@paddock/core')), '../../packages/core');
  });

  it('runs paddock-agent wrap from the copy alone, read-only', async () => {
    const { node, agentMain } = SANDBOX_HARNESS_PATHS;
    const argv = [node, agentMain, 'wrap', 'command', '--prompt', 'hi'];
    const { stdout } = await run(
      'bwrap',
      inSandbox(harness, [...argv, '--', 'sh', '-c', 'echo "from the pod"']),
    );
    assert.match(stdout, /from the pod/);
    assert.match(stdout, /"type":"run\.finished"/);
  });

  it("runs Claude Code's CLI with the copied Node.js", async () => {
    const cli = `${HARNESS_PATH}/${HARNESS_LAYOUT.nodeModules}/@anthropic-ai/claude-code/cli.js`;
    const { stdout } = await run(
      'bwrap',
      inSandbox(harness, [SANDBOX_HARNESS_PATHS.node, cli, '--version']),
    );
    assert.match(stdout, /2\.1\.112/);
  });

  it('refuses a relative --to and an unknown CLI, naming the flags', () => {
    assert.throws(
      () => parseCopyArgs(['--to=harness', '--clis=claude-code,cursor']),
      (e) =>
        isPaddockError(e, 'validation_failed') &&
        e.message.includes('--to: must be an absolute directory') &&
        e.message.includes('--clis: cursor is not one of claude-code, codex, opencode'),
    );
  });
});
