// Test support: one pods/exec session of the stand-in API server, run for real on this machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type WebSocket from 'ws';
import {
  type ChannelProtocol,
  decodeMessage,
  ExecChannel,
  encodeData,
} from './channel-protocol.ts';
import { exitStatusJson, internalErrorJson } from './stand-in-status.ts';

export type ExecParams = {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** The process's environment (default this process's). */
  env?: NodeJS.ProcessEnv;
  /** What a client going away does to the process's pipes (default `close-pipes`). */
  goneClient?: GoneClient;
};

/**
 * What the container runtime does with a command's pipes when its exec's stream ends:
 * `close-pipes` closes them (SIGPIPE at its next write, input ended); `stop-copying` only stops
 * copying its output, so the command blocks on its full pipe until the pod ends (what containerd
 * and cri-o may do).
 */
export const GoneClient = { ClosePipes: 'close-pipes', StopCopying: 'stop-copying' } as const;
export type GoneClient = (typeof GoneClient)[keyof typeof GoneClient];

/** What the session started, so the stand-in can kill what is left when it closes. */
export type ExecProcess = { pid: number; kill(): void };

type Terminal = {
  pid: number;
  onData(listener: (data: string | Buffer) => void): void;
  onExit(listener: (event: { exitCode: number; signal?: number }) => void): void;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
};

/**
 * Serves one exec as the API server's WebSocket translator does: an empty message on the lowest
 * writable channel first, stdout and stderr as they come (the process waits while the client is
 * slow), stdin until the client closes it (v5), resizes on channel 4, then the final Status on
 * channel 3 and a close. A process runs as runc runs one: a new session (`detached`). The client
 * going away does not kill it (as in Kubernetes), but ends its streams as the container runtime
 * does when the exec's stream ends: its output pipes are closed (SIGPIPE at its next write) and
 * its input ends, or with `goneClient: 'stop-copying'` its output is no longer read (it blocks on
 * its full pipe). A process that neither writes nor reads runs on; the stand-in kills what is
 * left when it closes. (A terminal is left as it is.)
 */
export async function serveExec(
  socket: WebSocket,
  protocol: ChannelProtocol,
  params: ExecParams,
  started: (process: ExecProcess) => void,
): Promise<void> {
  const first = params.stdout
    ? ExecChannel.Stdout
    : params.stderr
      ? ExecChannel.Stderr
      : ExecChannel.Error;
  // The client may send (a terminal's first resize, stdin) before the process exists: hold its
  // messages until a handler is attached, as the API server does, instead of dropping them.
  const early: Buffer[] = [];
  const hold = (message: Buffer) => void early.push(message);
  socket.on('message', hold);
  const listen = (handler: (message: Buffer) => void) => {
    socket.off('message', hold);
    for (const message of early.splice(0)) handler(message);
    socket.on('message', handler);
  };
  socket.send(encodeData(first, new Uint8Array(0)));
  const finish = (status: string) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(encodeData(ExecChannel.Error, Buffer.from(status)), () => socket.close(1000));
  };
  const [program = '', ...args] = params.command;
  if (params.tty) {
    const { spawn: spawnPty } = await import('@lydell/node-pty');
    // A client sends the terminal's size first: start the terminal at it, so the program never
    // sees a default size (resizing after the start races the program's first look at it).
    const size = (await firstResize(socket, early, protocol)) ?? { Width: 80, Height: 24 };
    const terminal: Terminal = spawnPty(program, args, {
      cols: size.Width,
      rows: size.Height,
      env: params.env ?? process.env,
      encoding: null,
    }) as Terminal;
    started({ pid: terminal.pid, kill: () => killGroup(terminal.pid) });
    terminal.onData((data) => {
      terminal.pause();
      send(socket, ExecChannel.Stdout, Buffer.from(data), () => terminal.resume());
    });
    terminal.onExit(({ exitCode, signal }) => {
      // node-pty reports the exit before the last output is read: let it drain.
      setTimeout(() => finish(exitStatusJson(signal ? 128 + signal : exitCode)), 50);
    });
    listen((message) => {
      const decoded = decodeMessage(message, protocol);
      if (decoded?.kind !== 'data') return;
      if (decoded.channel === ExecChannel.Stdin) terminal.write(Buffer.from(decoded.data));
      if (decoded.channel === ExecChannel.Resize) {
        const size = JSON.parse(Buffer.from(decoded.data).toString('utf8'));
        terminal.resize(size.Width, size.Height);
      }
    });
    return;
  }
  const child = spawn(program, args, {
    stdio: 'pipe',
    detached: true,
    env: params.env ?? process.env,
  });
  child.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') return finish(internalErrorJson(error.message));
    // What containerd says of a program that is not there.
    finish(
      internalErrorJson(
        `error executing command in container: failed to exec in container: failed to start exec "stand-in": OCI runtime exec failed: exec failed: unable to start container process: exec: ${JSON.stringify(program)}: executable file not found in $PATH: unknown`,
      ),
    );
  });
  if (child.pid === undefined) return;
  started({ pid: child.pid, kill: () => killGroup(child.pid ?? 0) });
  const isCopyingOnly = params.goneClient === GoneClient.StopCopying;
  pipeOut(child, socket, params, isCopyingOnly);
  socket.once('close', () => {
    if (isCopyingOnly) {
      for (const stream of [child.stdout, child.stderr]) stream?.pause();
      return;
    }
    for (const stream of [child.stdout, child.stderr, child.stdin]) stream?.destroy();
  });
  listen((message) => {
    const decoded = decodeMessage(message, protocol);
    if (decoded === undefined || decoded.channel !== ExecChannel.Stdin || !params.stdin) return;
    if (decoded.kind === 'close') {
      child.stdin?.end();
    } else if (child.stdin?.writable && child.stdin.write(decoded.data) === false) {
      socket.pause();
      child.stdin.once('drain', () => socket.resume());
    }
  });
  // A process that ended without reading its input: what the client sends is dropped (as a
  // kubelet does), and the socket read on, else the close handshake waits for a drain never due.
  child.stdin?.on('error', () => socket.resume());
  if (!params.stdin) child.stdin?.end();
  child.once('close', (code, signal) => {
    const number = signal === null ? (code ?? 0) : 128 + constants.signals[signal];
    finish(exitStatusJson(number));
  });
}

type Size = { Width: number; Height: number };

/** The size in the first resize message the client sent, waiting up to a second for it. */
async function firstResize(
  socket: WebSocket,
  early: Buffer[],
  protocol: ChannelProtocol,
): Promise<Size | undefined> {
  const sizeIn = (message: Buffer): Size | undefined => {
    const decoded = decodeMessage(message, protocol);
    if (decoded?.kind !== 'data' || decoded.channel !== ExecChannel.Resize) return undefined;
    return JSON.parse(Buffer.from(decoded.data).toString('utf8'));
  };
  for (const message of early) {
    const size = sizeIn(message);
    if (size) return size;
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), 1000);
    const onMessage = (message: Buffer) => {
      const size = sizeIn(message);
      if (size) done(size);
    };
    const done = (size: Size | undefined) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      resolve(size);
    };
    const onClose = () => done(undefined);
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

function pipeOut(
  child: ChildProcess,
  socket: WebSocket,
  params: ExecParams,
  isCopyingOnly: boolean,
): void {
  const streams = [
    [child.stdout, ExecChannel.Stdout, params.stdout],
    [child.stderr, ExecChannel.Stderr, params.stderr],
  ] as const;
  for (const [stream, channel, isWanted] of streams) {
    stream?.on('data', (data: Buffer) => {
      if (!isWanted) return;
      stream.pause();
      send(socket, channel, data, () => {
        // Nobody to copy to: the output stays in its pipe, and the command blocks once it is full.
        if (isCopyingOnly && socket.readyState !== socket.OPEN) return;
        stream.resume();
      });
    });
  }
}

/** Sends and calls `then` once the socket has taken the bytes: the process waits meanwhile. */
function send(socket: WebSocket, channel: number, data: Buffer, then: () => void): void {
  if (socket.readyState !== socket.OPEN) {
    then();
    return;
  }
  socket.send(encodeData(channel, data), () => then());
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
