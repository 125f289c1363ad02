import { randomUUID } from 'node:crypto';
import {
  ClientMessage,
  type ServerMessage,
  TERMINAL_BUFFER_BYTES,
  TerminalCloseCode,
} from '@paddock/api';
import type { ExitStatus, ProcessHandle, SandboxRef } from '@paddock/core';
import { type RawData, WebSocket } from 'ws';
import { OutputRing } from './output-ring.ts';

/** Why a terminal session ended (the `terminal.close` audit record says which). */
export const TerminalEnd = {
  Exit: 'exit',
  Expired: 'expired',
  Shutdown: 'shutdown',
} as const;
export type TerminalEnd = (typeof TerminalEnd)[keyof typeof TerminalEnd];

/** What is known of a session outside this module (for audit). */
export type TerminalSessionInfo = {
  id: string;
  principalId: string;
  target: SandboxRef;
  requestId: string;
};

type Session = TerminalSessionInfo & {
  handle: ProcessHandle;
  input: WritableStreamDefaultWriter<Uint8Array>;
  ring: OutputRing;
  socket: WebSocket | undefined;
  expiry: NodeJS.Timeout | undefined;
  exit: ExitStatus | undefined;
  isEnded: boolean;
};

export type TerminalSessionsOptions = {
  /** How long a detached shell is kept; 0 kills it as soon as its socket drops. */
  reconnectMs: number;
  bufferBytes?: number;
  /** Called once per session when it ends. */
  onEnd(session: TerminalSessionInfo, end: TerminalEnd, exit: ExitStatus | undefined): void;
};

/** Output waits for the socket to flush past this many queued bytes (backpressure on the PTY). */
const SOCKET_HIGH_WATER_BYTES = 256 * 1024;
/** A hung-up shell gets this long to exit before it is killed. */
const HANGUP_GRACE_MS = 500;

function send(socket: WebSocket, message: ServerMessage): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Tells a re-attaching client that its session is gone, then closes (`SessionNotFound`). */
export function refuseSession(socket: WebSocket, id: string): void {
  send(socket, {
    type: 'error',
    code: 'not_found',
    message: `terminal session ${id} has ended or its reconnect window has passed`,
  });
  socket.close(TerminalCloseCode.SessionNotFound, 'session not found');
}

/**
 * The live terminals of this server: each a PTY process plus at most one attached WebSocket.
 * When the socket drops the shell keeps running for `reconnectMs`, its output going to a bounded
 * ring; `attach` with the session id replays that output and continues live. After the window
 * the shell is hung up and killed.
 */
export class TerminalSessions {
  readonly #options: TerminalSessionsOptions;
  readonly #sessions = new Map<string, Session>();

  constructor(options: TerminalSessionsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Registers a started PTY process as a new, detached session and starts pumping its output. */
  open(info: Omit<TerminalSessionInfo, 'id'>, handle: ProcessHandle): TerminalSessionInfo {
    const session: Session = {
      ...info,
      id: randomUUID(),
      handle,
      input: handle.stdin.getWriter(),
      ring: new OutputRing(this.#options.bufferBytes ?? TERMINAL_BUFFER_BYTES),
      socket: undefined,
      expiry: undefined,
      exit: undefined,
      isEnded: false,
    };
    this.#sessions.set(session.id, session);
    void Promise.all([this.#pump(session), handle.exit]).then(([, exit]) => {
      session.exit = exit;
      if (session.socket !== undefined) this.#finishAttached(session, session.socket);
    });
    return session;
  }

  /** The session with that id, only for the principal that opened it and the same sandbox. */
  find(id: string, principalId: string, target: SandboxRef): TerminalSessionInfo | undefined {
    const session = this.#sessions.get(id);
    if (session === undefined || session.isEnded || session.principalId !== principalId)
      return undefined;
    const t = session.target;
    if (t.namespace !== target.namespace || t.name !== target.name || t.uid !== target.uid)
      return undefined;
    return session;
  }

  /**
   * Attaches a socket to a session returned by `open` or `find`: announces the session, replays
   * buffered output, then goes live. A socket already attached is closed (`Replaced`).
   */
  attach(info: TerminalSessionInfo, socket: WebSocket): void {
    const session = this.#sessions.get(info.id);
    if (session === undefined || session.isEnded) {
      refuseSession(socket, info.id);
      return;
    }
    const { id } = session;
    clearTimeout(session.expiry);
    session.expiry = undefined;
    const previous = session.socket;
    session.socket = socket;
    if (previous !== undefined) previous.close(TerminalCloseCode.Replaced, 'replaced');
    const droppedBytes = session.ring.droppedBytes;
    const replay = session.ring.drain();
    send(socket, { type: 'session', id, replayedBytes: replay.byteLength, droppedBytes });
    if (replay.byteLength > 0) socket.send(replay, { binary: true });
    socket.on('message', (data, isBinary) => this.#onMessage(session, socket, data, isBinary));
    socket.on('close', () => this.#detach(session, socket));
    socket.on('error', () => {});
    if (session.exit !== undefined) this.#finishAttached(session, socket);
  }

  /** Ends every session (server shutdown): sockets closed with 1001, shells killed. */
  async closeAll(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    for (const session of sessions) {
      session.socket?.close(1001, 'server shutting down');
      void session.handle.signal('SIGKILL').catch(() => {});
      this.#end(session, TerminalEnd.Shutdown);
    }
    await Promise.allSettled(sessions.map((s) => s.handle.exit));
  }

  async #pump(session: Session): Promise<void> {
    try {
      for await (const chunk of session.handle.stdout) {
        const socket = session.socket;
        if (socket?.readyState !== WebSocket.OPEN) {
          session.ring.push(chunk);
        } else if (socket.bufferedAmount > SOCKET_HIGH_WATER_BYTES) {
          await new Promise<void>((resolve) =>
            socket.send(chunk, { binary: true }, () => resolve()),
          );
        } else {
          socket.send(chunk, { binary: true });
        }
      }
    } catch {
      // The PTY closed under us; `exit` reports how.
    }
  }

  #onMessage(session: Session, socket: WebSocket, data: RawData, isBinary: boolean): void {
    if (session.socket !== socket) return;
    if (isBinary) {
      session.input.write(bytesOf(data)).catch(() => {});
      return;
    }
    let parsed: ReturnType<typeof ClientMessage.safeParse>;
    try {
      parsed = ClientMessage.safeParse(JSON.parse(bytesOf(data).toString('utf8')));
    } catch {
      send(socket, { type: 'error', code: 'validation_failed', message: 'malformed JSON' });
      return;
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : `${issue.path.join('.') || 'message'}: `;
      send(socket, {
        type: 'error',
        code: 'validation_failed',
        message: `invalid control message: ${where}${issue?.message ?? 'invalid'}`,
      });
      return;
    }
    const message = parsed.data;
    const done =
      message.type === 'resize'
        ? session.handle.resize(message.cols, message.rows)
        : session.handle.signal(message.signal);
    done.catch((error: unknown) => {
      send(socket, { type: 'error', code: 'internal', message: (error as Error).message });
    });
  }

  #detach(session: Session, socket: WebSocket): void {
    if (session.socket !== socket || session.isEnded) return;
    session.socket = undefined;
    session.expiry = setTimeout(() => this.#expire(session), this.#options.reconnectMs);
    session.expiry.unref();
  }

  #expire(session: Session): void {
    if (session.isEnded || session.socket !== undefined) return;
    const ended = session.exit !== undefined;
    this.#end(session, ended ? TerminalEnd.Exit : TerminalEnd.Expired);
    if (ended) return;
    // A hang-up first, as a real terminal would give (shells pass it to their jobs), then a kill.
    void session.handle.signal('SIGHUP').catch(() => {});
    const kill = setTimeout(
      () => void session.handle.signal('SIGKILL').catch(() => {}),
      HANGUP_GRACE_MS,
    );
    void session.handle.exit.then(() => clearTimeout(kill));
  }

  #finishAttached(session: Session, socket: WebSocket): void {
    const exit = session.exit;
    if (exit === undefined) return;
    send(socket, { type: 'exit', exitCode: exit.exitCode, signal: exit.signal });
    socket.close(1000, 'shell exited');
    this.#end(session, TerminalEnd.Exit);
  }

  #end(session: Session, end: TerminalEnd): void {
    if (session.isEnded) return;
    session.isEnded = true;
    clearTimeout(session.expiry);
    this.#sessions.delete(session.id);
    session.input.close().catch(() => {});
    this.#options.onEnd(session, end, session.exit);
  }
}
