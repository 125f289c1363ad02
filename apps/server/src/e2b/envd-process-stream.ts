/**
 * The event stream of envd's `Start` and `Connect`: `start {pid}`, `data {stdout|stderr|pty}`,
 * `end {exitCode, exited, status, error}`, and a `keepalive` as often as the client's
 * `Keepalive-Ping-Interval` header asks (seconds). The client's `Connect-Timeout-Ms` deadline
 * ends the stream with `deadline_exceeded`, which the SDK raises as its `TimeoutError`.
 * `follow` and `followLive` relay a process onto such a stream.
 */
import type { IncomingMessage } from 'node:http';
import type { ExitStatus, ProcessHandle } from '@paddock/core';
import { ConnectCode, ConnectError, type ConnectStream } from './connect.ts';
import type { EnvdCall } from './e2b-call.ts';
import { type LiveProcess, OutputKind } from './envd-process-table.ts';

const DEFAULT_KEEPALIVE_S = 50;
const MIN_KEEPALIVE_S = 1;

/** A whole number of milliseconds or seconds from a header, when positive. */
function positiveHeader(req: IncomingMessage, name: string): number | undefined {
  const raw = req.headers[name];
  if (typeof raw !== 'string' || !/^[0-9]{1,12}$/.test(raw.trim())) return undefined;
  const value = Number(raw.trim());
  return value > 0 ? value : undefined;
}

/** The client's deadline for the call (`Connect-Timeout-Ms`), when it set one. */
export function deadlineMsOf(req: IncomingMessage): number | undefined {
  return positiveHeader(req, 'connect-timeout-ms');
}

/** How Go's `os.ProcessState` names a signal, as envd reports it in `status`. */
const GO_SIGNAL_NAMES: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGPIPE: 'broken pipe',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
};

/** envd's `EndEvent` for an exit: `error` is set, as envd sets it, unless the exit code is 0. */
export function endEventOf(exit: ExitStatus): Record<string, unknown> {
  if (exit.exitCode !== null) {
    const status = `exit status ${exit.exitCode}`;
    return {
      exitCode: exit.exitCode,
      exited: true,
      status,
      ...(exit.exitCode === 0 ? {} : { error: status }),
    };
  }
  const status =
    exit.signal === null
      ? 'the process ended without an exit status'
      : `signal: ${GO_SIGNAL_NAMES[exit.signal] ?? exit.signal}`;
  return { exitCode: -1, exited: false, status, error: status };
}

/**
 * One `Start` or `Connect` answer: sends its events in order, keeps the connection alive, and
 * settles `finished` when the client goes, the deadline passes, or `finish` is called.
 */
export class ProcessEventStream {
  readonly #stream: ConnectStream;
  #chain: Promise<void> = Promise.resolve();
  readonly #timers: NodeJS.Timeout[] = [];
  #isFinished = false;
  #failure: ConnectError | undefined;
  #resolve: () => void = () => {};
  /** Settles once the stream is done with: the client went, the deadline passed, or `finish`. */
  readonly finished: Promise<void>;

  constructor(req: IncomingMessage, stream: ConnectStream) {
    this.#stream = stream;
    this.finished = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const onClose = () => this.finish();
    stream.closed.addEventListener('abort', onClose, { once: true });
    void this.finished.then(() => stream.closed.removeEventListener('abort', onClose));
    const keepaliveS = Math.max(
      MIN_KEEPALIVE_S,
      positiveHeader(req, 'keepalive-ping-interval') ?? DEFAULT_KEEPALIVE_S,
    );
    this.#timers.push(setInterval(() => this.#send({ keepalive: {} }), keepaliveS * 1000));
    const deadlineMs = deadlineMsOf(req);
    if (deadlineMs !== undefined) {
      this.#timers.push(
        setTimeout(() => {
          this.finish(
            new ConnectError(
              ConnectCode.DeadlineExceeded,
              `the call ran past its timeout of ${deadlineMs} ms`,
            ),
          );
        }, deadlineMs),
      );
    }
  }

  get isFinished(): boolean {
    return this.#isFinished;
  }

  /** Whether the client went away (nothing more reaches it). */
  get isClientGone(): boolean {
    return this.#stream.closed.aborted && !this.#stream.isEnded;
  }

  #send(event: Record<string, unknown>): void {
    if (this.#isFinished) return;
    const stream = this.#stream;
    this.#chain = this.#chain.then(() => stream.send({ event })).catch(() => {});
  }

  started(pid: number): void {
    this.#send({ start: { pid } });
  }

  output(kind: OutputKind, data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.#send({ data: { [kind]: Buffer.from(data).toString('base64') } });
  }

  ended(exit: ExitStatus): void {
    this.#send({ end: endEventOf(exit) });
    this.finish();
  }

  /** Done: no more events; `failure` ends the stream with that error. */
  finish(failure?: ConnectError): void {
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#failure = failure;
    for (const timer of this.#timers) clearInterval(timer);
    this.#resolve();
  }

  /** Waits for everything sent to be written; throws the failure that ended the stream, if any. */
  async drain(): Promise<void> {
    await this.finished;
    await this.#chain;
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/** Whether the sandbox went away (deleted, stopped) while its process ran. */
async function isSandboxGone(call: EnvdCall): Promise<boolean> {
  const { namespace, name } = call.sandbox.metadata;
  try {
    const sandbox = await call.deps.engine.store.get('Sandbox', {
      namespace: namespace ?? '',
      name: name ?? '',
    });
    if (sandbox.metadata.uid !== call.ref.uid) return true;
    if (sandbox.metadata.deletionTimestamp !== undefined) return true;
    if (sandbox.spec.desiredState === 'Stopped') return true;
  } catch {
    return true;
  }
  const observed = await call.deps.engine.runtime.observe(call.ref).catch(() => undefined);
  return observed?.state !== 'running';
}

/**
 * Ends the stream with the exit: as E2B's proxy does when the sandbox is gone (the connection
 * dropped, which the SDK turns into "the sandbox was killed" after its health check), with
 * `deadline_exceeded` when the process ran past the call's timeout, else with the end event.
 */
async function endWith(
  call: EnvdCall,
  events: ProcessEventStream,
  exit: ExitStatus,
): Promise<void> {
  if (events.isFinished) return;
  if (await isSandboxGone(call)) {
    events.finish();
    call.res.destroy();
    return;
  }
  if (exit.timedOut && deadlineMsOf(call.req) !== undefined) {
    events.finish(
      new ConnectError(ConnectCode.DeadlineExceeded, 'the command ran past its timeout'),
    );
    return;
  }
  events.ended(exit);
}

/** Relays a runtime process handle's output and exit; stops reading when the stream finishes. */
export async function follow(
  call: EnvdCall,
  events: ProcessEventStream,
  handle: ProcessHandle,
): Promise<void> {
  const pump = async (readable: ReadableStream<Uint8Array>, kind: OutputKind) => {
    const reader = readable.getReader();
    void events.finished.then(() => reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read();
      if (done || events.isFinished) return;
      events.output(kind, value);
    }
  };
  void Promise.all([pump(handle.stdout, OutputKind.Stdout), pump(handle.stderr, OutputKind.Stderr)])
    .then(async () => {
      if (!events.isFinished) await endWith(call, events, await handle.exit);
    })
    .catch((error: unknown) => {
      call.deps.log(`envd: following process ${handle.id}: ${String(error)}`);
      events.finish(new ConnectError(ConnectCode.Internal, 'lost the process output'));
    });
  await events.drain();
}

/** Relays a live process to the stream until it ends or the stream finishes. */
export async function followLive(
  call: EnvdCall,
  events: ProcessEventStream,
  process: LiveProcess,
): Promise<void> {
  const unsubscribe = process.subscribe({
    output: (kind, data) => events.output(kind, data),
    end: (exit) => void endWith(call, events, exit),
  });
  try {
    await events.drain();
  } finally {
    unsubscribe();
  }
}
