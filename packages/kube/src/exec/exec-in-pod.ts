import { randomUUID } from 'node:crypto';
import { ErrorCode, type ExitStatus, PaddockError, type ProcessHandle } from '@paddock/core';
import type WebSocket from 'ws';
import type { KubeClient } from '../client/kube-client.ts';
import {
  ChannelProtocol,
  decodeMessage,
  ExecChannel,
  encodeChunks,
  encodeClose,
  encodeResize,
} from './channel-protocol.ts';
import { type ChannelSocket, openChannelSocket } from './channel-socket.ts';
import { exitCodeOf } from './exec-status.ts';
import {
  checkCommand,
  PidMarker,
  signalCommand,
  signalName,
  signalNumber,
  wrapCommand,
} from './exec-wrapper.ts';
import { OutputStream } from './output-stream.ts';

/** The container an exec runs in. */
export type PodTarget = { namespace: string; pod: string; container: string };

/** One command in a container: `ExecRequest`'s fields that apply to one foreground process. */
export type PodExecRequest = PodTarget & {
  command: string[];
  env?: Record<string, string>;
  /** Absolute; none: the container's working directory. */
  cwd?: string;
  tty?: boolean;
  cols?: number;
  rows?: number;
  /** Open a stdin channel (default true). */
  stdin?: boolean;
  /** Kill the process (its group) after this long; 0 or none: never. */
  timeoutMs?: number;
  /**
   * Run under the shell wrapper (default true): needed for `env`, `cwd`, `signal` and timeouts
   * that kill. Without it the argv runs as given and a timeout only ends the connection.
   */
  wrap?: boolean;
  /** The handle's id (default a random UUID). */
  id?: string;
};

/** Output a reader has not taken yet, per stream, before the socket is paused. */
const HIGH_WATER_MARK_BYTES = 1024 * 1024;
/** How long the status may take to come after a timeout's kill before the socket is cut. */
const KILL_GRACE_MS = 5000;

/**
 * Runs a command in a container through the API server's `pods/exec` over WebSocket
 * (`v5.channel.k8s.io`, else `v4.channel.k8s.io`) and returns a `ProcessHandle`.
 *
 * - stdout and stderr are separate streams (a `tty` has stdout only). Both stop the socket when
 *   their reader falls behind by `HIGH_WATER_MARK_BYTES`, so the command blocks on its writes.
 * - `stdin.close()` is the end of input under v5; under v4 (API servers before Kubernetes 1.30)
 *   the protocol cannot say it, and the command never sees the end of its input.
 * - `exit` resolves with the exit code of the error channel's `Status`; a program that does not
 *   exist exits 127. A code `128 + n` reads as signal n when n was sent through `signal` (or
 *   SIGKILL by the timeout: `{exitCode: null, signal: 'SIGKILL', timedOut: true}`). It rejects
 *   (`runtime_unavailable`) when the connection ends without a status.
 * - `signal` is another exec: `kill` of the wrapper's pid (see `exec-wrapper.ts`); a `SIGKILL`
 *   that exec could not deliver (refused, the pod going) cuts the connection instead. An unwrapped
 *   exec has no pid to signal: its `SIGKILL` cuts the connection instead, as its timeout does,
 *   and `exit` reads `{exitCode: null, signal: 'SIGKILL'}` unless the status came first. The
 *   exec's stream to the kubelet then ends, and a command that streams a file stops at its next
 *   write instead of reading the rest for nobody (killed by SIGPIPE where the container runtime
 *   closes its pipes, else blocked on its full output). One that neither writes nor reads runs
 *   on. Other signals of an unwrapped exec are `runtime_unavailable`.
 *
 * The connection errors of `openChannelSocket` are thrown before any handle exists;
 * `validation_failed` for a bad request.
 */
export async function execInPod(
  client: KubeClient,
  request: PodExecRequest,
): Promise<ProcessHandle> {
  const isWrapped = request.wrap ?? true;
  const isTty = request.tty ?? false;
  const hasStdin = request.stdin ?? true;
  const timeoutMs = checkTimeout(request.timeoutMs);
  checkSize('cols', request.cols);
  checkSize('rows', request.rows);
  if (!isWrapped && (request.env !== undefined || request.cwd !== undefined)) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'env and cwd need the exec wrapper', {
      issues: [{ path: 'wrap', message: 'env and cwd need the exec wrapper' }],
    });
  }
  if (!isWrapped) checkCommand(request.command);
  const argv = isWrapped ? wrapCommand(request.command, request.env, request.cwd) : request.command;

  const query = new URLSearchParams();
  for (const word of argv) query.append('command', word);
  query.set('container', request.container);
  query.set('stdin', String(hasStdin));
  query.set('stdout', 'true');
  query.set('stderr', String(!isTty));
  query.set('tty', String(isTty));
  const path = `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}/exec`;
  const channels = await openChannelSocket(client, path, query, [
    ChannelProtocol.V5,
    ChannelProtocol.V4,
  ]);
  return new ExecSession(client, request, channels, isWrapped, isTty, hasStdin, timeoutMs).handle;
}

class ExecSession {
  readonly handle: ProcessHandle;
  readonly #client: KubeClient;
  readonly #target: PodTarget;
  readonly #socket: WebSocket;
  readonly #protocol: ChannelProtocol;
  readonly #marker: PidMarker | undefined;
  readonly #stdout: OutputStream;
  readonly #stderr: OutputStream;
  readonly #sent = new Set<string>();
  readonly #pid: Promise<number | undefined>;
  #resolvePid!: (pid: number | undefined) => void;
  #status = '';
  #socketError: string | undefined;
  #isTimedOut = false;
  #isCut = false;
  #isEnded = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    client: KubeClient,
    target: PodTarget & { id?: string; cols?: number; rows?: number },
    { socket, protocol, listen }: ChannelSocket,
    isWrapped: boolean,
    isTty: boolean,
    hasStdin: boolean,
    timeoutMs: number,
  ) {
    this.#client = client;
    this.#target = { namespace: target.namespace, pod: target.pod, container: target.container };
    this.#socket = socket;
    this.#protocol = protocol;
    this.#marker = isWrapped ? new PidMarker() : undefined;
    this.#pid = new Promise((resolve) => {
      this.#resolvePid = resolve;
    });
    if (!isWrapped) this.#resolvePid(undefined);
    const resume = () => socket.resume();
    this.#stdout = new OutputStream(HIGH_WATER_MARK_BYTES, resume, resume);
    this.#stderr = new OutputStream(HIGH_WATER_MARK_BYTES, resume, resume);
    const exit = new Promise<ExitStatus>((resolve, reject) => {
      listen({
        message: (message) => this.#receive(message),
        error: (error) => {
          this.#socketError = error.message;
        },
        close: () => {
          try {
            resolve(this.#finish());
          } catch (error) {
            reject(error);
          }
        },
      });
    });
    exit.catch(() => {});
    if (isTty) {
      this.#send(encodeResize(target.cols ?? 80, target.rows ?? 24)).catch(() => {});
    }
    if (timeoutMs > 0) this.#timer = setTimeout(() => void this.#timeOut(), timeoutMs);
    this.handle = {
      id: target.id ?? randomUUID(),
      stdin: this.#stdin(hasStdin),
      stdout: this.#stdout.readable,
      stderr: this.#stderr.readable,
      resize: async (cols, rows) => {
        checkSize('cols', cols);
        checkSize('rows', rows);
        if (isTty && !this.#isEnded) await this.#send(encodeResize(cols, rows));
      },
      signal: async (name) => this.#signal(signalName(name), isWrapped),
      exit,
    };
  }

  #receive(message: Buffer): void {
    const decoded = decodeMessage(message, this.#protocol);
    if (decoded === undefined) return;
    if (decoded.kind === 'close') {
      if (decoded.channel === ExecChannel.Stdout) this.#stdout.close();
      if (decoded.channel === ExecChannel.Stderr) this.#stderr.close();
      return;
    }
    let isFull = false;
    switch (decoded.channel) {
      case ExecChannel.Stdout: {
        const data = this.#marker === undefined ? decoded.data : this.#marker.push(decoded.data);
        if (this.#marker?.pid !== undefined) this.#resolvePid(this.#marker.pid);
        isFull = this.#stdout.push(data);
        break;
      }
      case ExecChannel.Stderr:
        isFull = this.#stderr.push(decoded.data);
        break;
      case ExecChannel.Error:
        this.#status += Buffer.from(decoded.data).toString('utf8');
        break;
    }
    if (isFull) this.#socket.pause();
  }

  #finish(): ExitStatus {
    this.#isEnded = true;
    clearTimeout(this.#timer);
    if (this.#marker !== undefined) this.#stdout.push(this.#marker.end());
    this.#resolvePid(this.#marker?.pid);
    this.#stdout.close();
    this.#stderr.close();
    if (this.#isTimedOut) return { exitCode: null, signal: 'SIGKILL', timedOut: true };
    if (this.#isCut && this.#status === '')
      return { exitCode: null, signal: 'SIGKILL', timedOut: false };
    if (this.#status === '') {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `the exec's connection ended without an exit status${this.#socketError ? `: ${this.#socketError}` : ''}`,
      );
    }
    const code = exitCodeOf(this.#status);
    for (const name of this.#sent) {
      if (code === 128 + signalNumber(name))
        return { exitCode: null, signal: name, timedOut: false };
    }
    return { exitCode: code, signal: null, timedOut: false };
  }

  #stdin(hasStdin: boolean): WritableStream<Uint8Array> {
    let isClosed = false;
    const end = async () => {
      if (isClosed || !hasStdin) return;
      isClosed = true;
      // v4 has no way to say it: the command keeps waiting for input (see execInPod).
      if (this.#protocol === ChannelProtocol.V5) await this.#send(encodeClose(ExecChannel.Stdin));
    };
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (!hasStdin || isClosed) return;
        for (const frame of encodeChunks(ExecChannel.Stdin, chunk)) await this.#send(frame);
      },
      close: end,
      abort: end,
    });
  }

  /** Sends one message; after the session ended, drops it (the process reads no more). */
  #send(frame: Buffer): Promise<void> {
    if (this.#socket.readyState !== this.#socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.send(frame, () => resolve());
    });
  }

  async #signal(name: string, isWrapped: boolean): Promise<void> {
    if (this.#isEnded) return;
    if (!isWrapped && name === 'SIGKILL') {
      // No pid to kill: the connection is cut, and the command loses its output and input.
      this.#isCut = true;
      this.#socket.terminate();
      return;
    }
    if (!isWrapped) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'Kubernetes exec has no signals: run the command under the exec wrapper to signal it (SIGKILL cuts its connection)',
      );
    }
    const pid = await this.#pid;
    if (pid === undefined) {
      if (this.#isEnded) return;
      throw new PaddockError(ErrorCode.RuntimeUnavailable, 'the exec wrapper reported no pid');
    }
    this.#sent.add(name);
    const kill = runQuietly(this.#client, { ...this.#target, command: signalCommand(name, pid) });
    if (name !== 'SIGKILL') {
      await kill;
      return;
    }
    // A kill that could not be sent (the pod going, the exec refused) still ends the session, as
    // an unwrapped one ends: its connection is cut. One that found no process leaves the status
    // in flight its time to come.
    const status = await kill.catch(() => undefined);
    if (status === undefined) this.#cutAfter(0);
    else if (status.exitCode !== 0) this.#cutAfter(KILL_GRACE_MS);
  }

  /** Cuts the connection after `delayMs` unless the session ended first. */
  #cutAfter(delayMs: number): void {
    if (this.#isEnded) return;
    const cut = setTimeout(() => {
      this.#isCut = true;
      this.#socket.terminate();
    }, delayMs);
    this.#socket.once('close', () => clearTimeout(cut));
  }

  async #timeOut(): Promise<void> {
    if (this.#isEnded) return;
    this.#isTimedOut = true;
    // A pid still to come is not waited for: the socket is cut instead.
    const pid = this.#marker?.pid;
    if (pid !== undefined && !this.#isEnded) {
      await runQuietly(this.#client, {
        ...this.#target,
        command: signalCommand('SIGKILL', pid),
      }).catch(() => {});
      const cut = setTimeout(() => this.#socket.terminate(), KILL_GRACE_MS);
      this.#socket.once('close', () => clearTimeout(cut));
    } else {
      this.#socket.terminate();
    }
  }
}

/** Runs an unwrapped helper command to its end, ignoring its output. */
async function runQuietly(
  client: KubeClient,
  request: PodTarget & { command: string[] },
): Promise<ExitStatus> {
  const handle = await execInPod(client, { ...request, wrap: false, stdin: false });
  await Promise.all([
    handle.stdout.pipeTo(new WritableStream()),
    handle.stderr.pipeTo(new WritableStream()),
  ]);
  return handle.exit;
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return 0;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'timeoutMs must be a whole number', {
      issues: [
        { path: 'timeoutMs', message: 'must be a non-negative whole number of milliseconds' },
      ],
    });
  }
  return timeoutMs;
}

function checkSize(path: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new PaddockError(ErrorCode.ValidationFailed, `${path} must be from 1 to 65535`, {
      issues: [{ path, message: 'must be a whole number from 1 to 65535' }],
    });
  }
}
