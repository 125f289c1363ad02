import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { INSTALL_HINTS, processRunner, RecordingRunner } from './tool-runner.ts';

describe('processRunner', () => {
  const empty = mkdtempSync(join(tmpdir(), 'runner-'));
  after(() => rmSync(empty, { recursive: true, force: true }));

  it('runs a real program with its argv and cwd and returns its output', async () => {
    const result = await processRunner().run({
      tool: 'git',
      args: ['init', '--quiet', 'repo'],
      cwd: empty,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(existsSync(join(empty, 'repo', '.git')));
  });

  it('fails a missing tool with runtime_unavailable, naming it and how to install it', async () => {
    await assert.rejects(
      processRunner().run({
        tool: 'k3d',
        args: ['version'],
        env: { PATH: join(empty, 'nothing') },
      }),
      (error) =>
        isPaddockError(error, ErrorCode.RuntimeUnavailable) &&
        error.message.includes('k3d not found on PATH') &&
        error.message.includes(INSTALL_HINTS.k3d),
    );
  });

  it('fails a non-zero exit with the command and its last output; tryRun returns it', async () => {
    await assert.rejects(
      processRunner().run({ tool: 'git', args: ['no-such-subcommand'] }),
      (error) =>
        isPaddockError(error, ErrorCode.RuntimeUnavailable) &&
        /git no-such-subcommand exited with 1: .*no-such-subcommand/s.test(error.message),
    );
    const result = await processRunner().tryRun({ tool: 'git', args: ['no-such-subcommand'] });
    assert.equal(result.exitCode, 1);
  });

  it('kills a program that outlives its timeout and fails with timeout', async () => {
    // A stand-in `helm` on PATH that never ends.
    writeFileSync(join(empty, 'helm'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const started = performance.now();
    await assert.rejects(
      processRunner().run({
        tool: 'helm',
        args: ['version'],
        timeoutMs: 300,
        env: { PATH: `${empty}:${process.env.PATH}` },
      }),
      (error) => isPaddockError(error, ErrorCode.Timeout) && error.message.includes('helm version'),
    );
    assert.ok(performance.now() - started < 10_000);
  });
});

describe('RecordingRunner', () => {
  it('records each invocation and answers from the first matching rule', async () => {
    const runner = new RecordingRunner([
      {
        tool: 'docker',
        prefix: ['info'],
        answer: { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' },
      },
      { tool: 'k3d', answer: (i) => ({ stdout: `ran ${i.args.join(' ')}` }) },
    ]);
    assert.equal((await runner.tryRun({ tool: 'docker', args: ['info'] })).exitCode, 1);
    assert.equal((await runner.run({ tool: 'k3d', args: ['version'] })).stdout, 'ran version');
    assert.equal((await runner.run({ tool: 'git', args: ['status'] })).exitCode, 0);
    await assert.rejects(
      runner.run({ tool: 'docker', args: ['info'] }),
      /docker info exited with 1: Cannot connect/,
    );
    assert.deepEqual(runner.lines, ['docker info', 'k3d version', 'git status', 'docker info']);
  });

  it('fails tools scripted as missing as the process runner does', async () => {
    const runner = new RecordingRunner([], { missing: ['helm'] });
    await assert.rejects(
      runner.run({ tool: 'helm', args: ['version'] }),
      (e) =>
        isPaddockError(e, ErrorCode.RuntimeUnavailable) && e.message.includes(INSTALL_HINTS.helm),
    );
  });
});
