import { posix } from 'node:path';
import { ErrorCode, type ExecRequest, PaddockError } from '@paddock/core';
import { SANDBOX_HOME, SANDBOX_USER, WORKSPACE } from './bwrap-launcher.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${path} ${message}`, {
    issues: [{ path, message }],
  });
}

/** Checks an exec request; returns the working directory to use. */
export function checkExecRequest(request: ExecRequest): { cwd: string } {
  if (!Array.isArray(request.command) || request.command.length === 0) {
    throw invalid('command', 'must hold at least the program');
  }
  for (const word of request.command) {
    if (typeof word !== 'string' || word.includes('\0'))
      throw invalid('command', 'must be strings without NUL');
  }
  if (request.command[0] === '') throw invalid('command', 'must name a program');
  const cwd = request.cwd ?? WORKSPACE;
  if (!cwd.startsWith('/') || cwd.includes('\0')) throw invalid('cwd', 'must be an absolute path');
  checkEnv(request.env ?? {});
  if (
    request.timeoutMs !== undefined &&
    (!Number.isSafeInteger(request.timeoutMs) || request.timeoutMs < 0)
  ) {
    throw invalid('timeoutMs', 'must be a non-negative whole number of milliseconds');
  }
  if (request.background && request.tty)
    throw invalid('tty', 'is not available for background processes');
  return { cwd: posix.normalize(cwd) };
}

export function checkEnv(env: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw invalid(`env.${name}`, 'is not a valid variable name');
    if (typeof value !== 'string' || value.includes('\0'))
      throw invalid(`env.${name}`, 'must be a string without NUL');
  }
}

/** The environment every process in a sandbox starts from. */
export function baseEnv(hostname: string, tty: boolean): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: SANDBOX_HOME,
    USER: SANDBOX_USER,
    LOGNAME: SANDBOX_USER,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    HOSTNAME: hostname,
    ...(tty ? { TERM: 'xterm-256color' } : {}),
  };
}
