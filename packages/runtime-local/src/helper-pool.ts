import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { HOST_ENV } from './exec.ts';
import type { Argv } from './host-commands.ts';

/** How many started helpers wait for a request. */
const IDLE = 2;

/** Where a pooled helper's request arrives (its stdin, stdout and stderr are the exec's). */
const REQUEST_FD = 3;

/**
 * Host helpers (`host-helper.pl -r 3`) started ahead of need, so that an exec pays for neither
 * Node's fork of itself nor perl's start: a taken helper reads its words from descriptor 3 and
 * runs exactly as if it had been spawned with them, with its own stdin, stdout and stderr pipes
 * and its own process group. Idle helpers keep nothing alive (they are unreferenced, and end on
 * their own when Paddock does: their request pipe closes).
 */
export class HelperPool {
  readonly #perl: string;
  readonly #script: string;
  readonly #idle: ChildProcess[] = [];
  #isClosed = false;

  constructor(perl: string, script: string) {
    this.#perl = perl;
    this.#script = script;
  }

  /** Whether `argv` runs the helper script, so a pooled helper can run it instead. */
  serves(argv: Argv): boolean {
    return argv.file === this.#perl && argv.args[0] === this.#script;
  }

  /** A helper running `argv` (which `serves` accepted), its stdio piped like `spawn`'s. */
  take(argv: Argv): ChildProcess {
    let child = this.#idle.shift();
    while (child !== undefined && (child.exitCode !== null || child.signalCode !== null))
      child = this.#idle.shift();
    child ??= this.#start();
    const request = this.#request(child);
    const words = [...argv.args.slice(1), ...(argv.requestWords ?? [])];
    request.end(`${words.join('\0')}\0`);
    setRef(child, true);
    return child;
  }

  /**
   * Starts helpers up to the pool's size, soon: called once the operation that took one is done,
   * since a start blocks Paddock for as long as Node's fork of itself takes.
   */
  refill(): void {
    setImmediate(() => this.#fill());
  }

  /** Ends the idle helpers; later takes start helpers on demand. */
  close(): void {
    this.#isClosed = true;
    for (const child of this.#idle.splice(0)) this.#request(child).end();
  }

  #request(child: ChildProcess): Writable {
    return child.stdio[REQUEST_FD] as Writable;
  }

  #fill(): void {
    while (!this.#isClosed && this.#idle.length < IDLE) {
      const child = this.#start();
      setRef(child, false);
      this.#idle.push(child);
    }
  }

  #start(): ChildProcess {
    const child = spawn(this.#perl, [this.#script, '-r', String(REQUEST_FD)], {
      env: HOST_ENV,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
      cwd: '/',
    });
    // A helper that failed to start reports it through the exec that takes it.
    child.on('error', () => {});
    this.#request(child).on('error', () => {});
    return child;
  }
}

/** Whether the helper (its process and its pipes) keeps Paddock's event loop alive. */
function setRef(child: ChildProcess, isRef: boolean): void {
  const handles: Array<{ ref?: () => void; unref?: () => void } | null> = [
    child,
    ...(child.stdio as Array<Readable | Writable | null>).map(
      (stream) => stream as unknown as { ref?: () => void; unref?: () => void } | null,
    ),
  ];
  for (const handle of handles) {
    if (isRef) handle?.ref?.();
    else handle?.unref?.();
  }
}
