import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ErrorCode, PaddockError } from '@paddock/core';
import { HOST_ENV } from './exec.ts';
import type { Argv } from './host-commands.ts';
import { type LaunchStep, stepError, stepWords } from './launch-steps.ts';
import { currentBootId, type ProcessIdentity } from './process-identity.ts';

/** What the launcher says of a started sandbox: bwrap's pid and its init's (in the host's view). */
export type Launched = { monitorPid: number; initPid: number };

/**
 * A spare exec helper the launcher forked (see `exec_spare` in launcher-requests.pl): its pid and,
 * in order, its stdin's write end, stdout's and stderr's read ends, its request pipe's write end
 * and its exit status pipe's read end, each as a descriptor number there and the pipe's inode.
 */
export type Spare = { pid: number; ends: Array<{ fd: number; inode: number }> };

type Pending = { resolve: (words: string[]) => void; reject: (error: Error) => void };

/**
 * Starts sandboxes, runs the helper's other one-shot commands (hostname, bind) and starts the
 * supervisors of background processes through one small, long-lived host helper
 * (`host-helper.pl -z`) that forks for each: Node's own spawn forks Paddock itself, whose cost
 * grows with its memory (15 ms at 370 MB here) and blocks every request meanwhile; the
 * launcher's fork costs a fraction of a millisecond. The helper also waits for the sandbox to be up, so nothing polls on this side.
 * Started on the first launch and again after it ends; it ends with Paddock (its stdin closes).
 */
export class Launcher {
  readonly #perl: string;
  readonly #script: string;
  readonly #pending = new Map<string, Pending>();
  #child: ChildProcess | undefined;
  #nextId = 0;

  constructor(perl: string, script: string) {
    this.#perl = perl;
    this.#script = script;
  }

  /**
   * Runs the launch command line `argv` (whose bwrap reports on `--info-fd 3`) and resolves once
   * the sandbox's anchor runs; rejects with bwrap's last words when it could not start. `steps`
   * (`launch-steps.ts`) are done first, by the launcher's watcher: a step that fails rejects with
   * its system error (its `code`, e.g. `ENOSPC`), and nothing is started.
   */
  async launch(argv: Argv, what: string, steps: readonly LaunchStep[] = []): Promise<Launched> {
    const words = steps.length === 0 ? [] : stepWords(steps);
    const [monitorPid, initPid] = await this.#request('launch', argv, what, words);
    return { monitorPid: Number(monitorPid), initPid: Number(initPid) };
  }

  /**
   * Runs a helper command line that prints nothing unless it fails (`bindCommand`); rejects with what it said, as `runtime_unavailable` of `what`.
   */
  async run(argv: Argv, what: string): Promise<void> {
    await this.#request('run', argv, what);
  }

  /**
   * Renames a running sandbox's host (`sandbox-hostname.pl`; `words` from `renameWords`): as root
   * in the launcher's own process, else in one watcher. Rejects as `run` does, or with the system
   * error of a file that could not be written.
   */
  async rename(words: readonly string[], what: string): Promise<void> {
    await this.#request('hostname', { file: '', args: ['', ...words] }, what);
  }

  /**
   * Starts the detached supervisor of a background process (`superviseCommand`): a fork of the
   * launcher, which leaves its session and pipes, so it outlives the launcher and Paddock.
   * Resolves with the supervisor's identity once it has started the process's chain.
   */
  async supervise(argv: Argv, what: string): Promise<ProcessIdentity> {
    const [pid = '', startTicks = ''] = await this.#request('supervise', argv, what);
    return { pid: Number(pid), startTicks, bootId: currentBootId() };
  }

  /** Forks a spare exec helper (`HelperPool`); `words` are `spareWords()`. */
  async spare(words: readonly string[]): Promise<Spare> {
    const [pid = '', ...ends] = await this.#request(
      'spare',
      { file: '', args: ['', ...words] },
      'a spare exec helper',
    );
    return {
      pid: Number(pid),
      ends: ends.map((end) => {
        const [fd = '', inode = ''] = end.split(':');
        return { fd: Number(fd), inode: Number(inode) };
      }),
    };
  }

  #request(
    kind: 'launch' | 'run' | 'hostname' | 'supervise' | 'spare',
    argv: Argv,
    what: string,
    head: readonly string[] = [],
  ): Promise<string[]> {
    const child = this.#running();
    const id = String(++this.#nextId);
    const words = [...head, ...argv.args.slice(1)];
    const answered = new Promise<string[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    }).catch((error: Error) => {
      // A step's system error stays one, as Node's own fs calls report theirs.
      if ('code' in error) throw error;
      throw new PaddockError(ErrorCode.RuntimeUnavailable, `${what}: ${error.message}`);
    });
    setRef(child, true);
    child.stdin?.write(`${id}\0${kind}\0${words.length}\0${words.map((w) => `${w}\0`).join('')}`);
    return answered;
  }

  /** Ends the launcher; sandboxes it started run on. */
  close(): void {
    this.#child?.stdin?.end();
    this.#child = undefined;
  }

  #running(): ChildProcess {
    if (this.#child !== undefined) return this.#child;
    const child = spawn(this.#perl, [this.#script, '-z'], {
      env: HOST_ENV,
      stdio: ['pipe', 'pipe', 'ignore'],
      cwd: '/',
    });
    this.#child = child;
    child.on('error', () => {});
    child.stdin?.on('error', () => {});
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      this.#failAll('the launcher ended');
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => this.#answer(line));
    this.#unrefWhenIdle(child);
    return child;
  }

  #answer(line: string): void {
    const [id = '', outcome, ...rest] = line.split(' ');
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (outcome === 'ok') {
      pending.resolve(rest);
    } else if (outcome === 'errno') {
      pending.reject(stepError(Number(rest[0]), rest.slice(1).join(' ')));
    } else {
      pending.reject(new Error(rest.join(' ') || 'bwrap exited'));
    }
    if (this.#child !== undefined) this.#unrefWhenIdle(this.#child);
  }

  /** An idle launcher keeps nothing alive. */
  #unrefWhenIdle(child: ChildProcess): void {
    if (this.#pending.size === 0) setRef(child, false);
  }

  #failAll(why: string): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new Error(why));
    }
  }
}

/** Whether the launcher (its process and pipes) keeps Paddock's event loop alive. */
function setRef(child: ChildProcess, isRef: boolean): void {
  for (const handle of [child, child.stdin, child.stdout] as Array<{
    ref?: () => void;
    unref?: () => void;
  } | null>) {
    if (isRef) handle?.ref?.();
    else handle?.unref?.();
  }
}
