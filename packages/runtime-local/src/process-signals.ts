import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, type ExitStatus, PaddockError } from '@paddock/core';
import { childrenOf } from './process-identity.ts';

/** Checks a signal name (`SIGTERM`, also `TERM`) and returns its canonical form. */
export function signalName(name: string): NodeJS.Signals {
  const canonical = name.startsWith('SIG') ? name : `SIG${name}`;
  if (!Object.hasOwn(constants.signals, canonical)) {
    throw new PaddockError(ErrorCode.ValidationFailed, `unknown signal ${JSON.stringify(name)}`, {
      issues: [{ path: 'signal', message: 'must be a signal name such as SIGTERM' }],
    });
  }
  return canonical as NodeJS.Signals;
}

/** Whether `pid` is the host side of an exec that has entered the sandbox (see host-helper.pl). */
function hasEntered(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'paddock-enter';
  } catch {
    return false;
  }
}

/**
 * Signals the command running inside the sandbox and everything it started: the process group
 * led by the child that the host helper (the spawned host pid) forked into the pid namespace
 * (see host-helper.pl's enter), never the helper's own group or anything beyond the command,
 * as a terminal's Ctrl-C does. The egress relays a command of an `allowlist` sandbox starts run
 * in sessions of their own (`withEgressBridge`), so a harness told to stop still reaches the
 * gateway while it records its end. The helper forwards no signals, and signalling it would
 * only orphan the command. Waits briefly for that fork when called right after spawning.
 */
export async function signalCommand(hostPid: number, signal: string): Promise<void> {
  const name = signalName(signal);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const [child] = hasEntered(hostPid) ? childrenOf(hostPid) : [];
    if (child !== undefined) {
      signalGroupOf(child, name);
      return;
    }
    try {
      process.kill(hostPid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
}

/**
 * Signals the group `leader` leads; a child of the helper that leads none yet has not run the
 * command (it makes its group before anything else), so signalling it alone reaches all of it.
 */
function signalGroupOf(leader: number, name: NodeJS.Signals): void {
  try {
    process.kill(-leader, name);
    return;
  } catch {}
  try {
    process.kill(leader, name);
  } catch {}
}

/** Kills the whole process group of a spawned chain (the host helper, the command and its children). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {}
}

export function exitStatusOf(
  code: number | null,
  signal: string | null,
  timedOut: boolean,
): ExitStatus {
  return { exitCode: signal === null ? code : null, signal, timedOut };
}

/**
 * For chains that report a death by signal n as the exit code `128 + n` (runsc exec): such a
 * code reads back as signal n when n was sent to the process (`sent`, canonical names).
 */
export function signalFromCode(status: ExitStatus, sent: Iterable<string>): ExitStatus {
  if (status.exitCode === null || status.exitCode <= 128) return status;
  const name = signalNameOf(status.exitCode - 128);
  if (name === null || ![...sent].includes(name)) return status;
  return { exitCode: null, signal: name, timedOut: status.timedOut };
}

/** The name of a signal number (node-pty reports numbers). */
export function signalNameOf(signal: number): string | null {
  if (signal === 0) return null;
  const entry = Object.entries(constants.signals).find(([, n]) => n === signal);
  return entry ? entry[0] : String(signal);
}
