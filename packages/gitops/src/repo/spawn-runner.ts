// A CommandRunner that spawns the command on this machine: the repository's tests run real git
// through it (the cluster part passes its own runner in production).
import { spawn } from 'node:child_process';
import type { CommandResult, CommandRunner } from './command-runner.ts';

export const spawnRunner: CommandRunner = {
  tryRun({ tool, args, cwd, env }) {
    return new Promise<CommandResult>((resolve, reject) => {
      const child = spawn(tool, args, {
        ...(cwd === undefined ? {} : { cwd }),
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          exitCode: code ?? 1,
        }),
      );
    });
  },
};
