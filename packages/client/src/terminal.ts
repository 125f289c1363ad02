import {
  ServerMessage,
  TERMINAL_PROTOCOL,
  TerminalCloseCode,
  type TerminalSignal,
} from '@paddock/api';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { ResolvedOptions } from './client-options.ts';
import { type ExplainRefusal, openWebSocket } from './websocket-connect.ts';

export type TerminalSize = { cols: number; rows: number };

/** How the shell ended: its exit code, or the signal that killed it. */
export type TerminalExit = { exitCode: number | null; signal: string | null };

export type TerminalSessionInfo = {
  id: string;
  /** Output missed while detached, replayed right after this announcement. */
  replayedBytes: number;
  /** Output lost because the server's buffer overflowed while detached. */
  droppedBytes: number;
  /** Whether this is a re-attach after a dropped connection. */
  isReattach: boolean;
};

/** The listeners a terminal calls; `on` returns a function that removes the listener. */
export type TerminalEvents = {
  /** Raw terminal output. Output that arrives before the first listener is kept for it. */
  output: (data: Uint8Array) => void;
  /** Every attach (the first one and each re-attach). */
  session: (info: TerminalSessionInfo) => void;
  /** The connection dropped; a re-attach is tried after `delayMs`. */
  reconnecting: (info: { attempt: number; delayMs: number; error: PaddockError }) => void;
  /** A non-fatal error the server reported (an invalid control message, a failed resize). */
  error: (error: { code: string; message: string }) => void;
};

/** An interactive shell in a sandbox over `/ws/terminal/{namespace}/{name}`. */
export type Terminal = {
  /** The server's session id (stable across re-attaches). */
  readonly sessionId: string;
  /** Keystrokes: raw bytes to the PTY (strings as UTF-8); kept while re-attaching. */
  write(data: Uint8Array | string): void;
  resize(cols: number, rows: number): void;
  signal(name: TerminalSignal): void;
  on<E extends keyof TerminalEvents>(event: E, listener: TerminalEvents[E]): () => void;
  /**
   * Resolves with the exit status when the shell ends, with `undefined` after `close()`. Rejects
   * with a PaddockError when the terminal is lost: `not_found` (the reconnect window passed),
   * `conflict` (another connection took the session over), `runtime_unavailable` (the server
   * shut down, or re-attaching failed `maxAttempts` times).
   */
  readonly done: Promise<TerminalExit | undefined>;
  /** Detaches and closes the connection; the shell lives on for the reconnect window. */
  close(): void;
};

export type TerminalConnectOptions = {
  path: string;
  size: TerminalSize;
  /** Run this instead of the login shell (a new session only; a re-attach resumes it). */
  command?: readonly string[];
  explain: ExplainRefusal;
};

type Listeners = { [E in keyof TerminalEvents]: Set<TerminalEvents[E]> };

const encoder = new TextEncoder();

/**
 * Opens a terminal and resolves once the server announced the session. Refusals reject with
 * `explain()`'s error; a connection dropped later is re-attached with `?session=<id>`, with the
 * client's backoff (`reconnect` option), replaying the output missed meanwhile.
 */
export async function openTerminal(
  options: ResolvedOptions,
  connect: TerminalConnectOptions,
): Promise<Terminal> {
  const listeners: Listeners = {
    output: new Set(),
    session: new Set(),
    reconnecting: new Set(),
    error: new Set(),
  };
  const pendingOutput: Uint8Array[] = [];
  const pendingInput: Array<Uint8Array | string> = [];
  let size = connect.size;
  let sessionId = '';
  let ws: WebSocket | undefined;
  let isClosed = false;
  let exit: TerminalExit | undefined;
  let finish!: (value: TerminalExit | undefined) => void;
  let fail!: (error: PaddockError) => void;
  const done = new Promise<TerminalExit | undefined>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  done.catch(() => {});

  const emitOutput = (data: Uint8Array) => {
    if (listeners.output.size === 0) pendingOutput.push(data);
    for (const listener of listeners.output) listener(data);
  };
  const sendNow = (socket: WebSocket, data: Uint8Array | string) => {
    if (typeof data === 'string') socket.send(data);
    else socket.send(data as Uint8Array<ArrayBuffer>);
  };
  const send = (data: Uint8Array | string) => {
    if (isClosed) return;
    if (ws?.readyState === WebSocket.OPEN) sendNow(ws, data);
    else pendingInput.push(data);
  };

  /** Attaches one socket; resolves with the announced session, rejects if it closes first. */
  const attach = async (isReattach: boolean): Promise<WebSocket> => {
    const query = isReattach
      ? { session: sessionId }
      : {
          ...size,
          ...(connect.command === undefined ? {} : { command: JSON.stringify(connect.command) }),
        };
    const socket = await openWebSocket(
      options,
      { path: connect.path, query, protocol: TERMINAL_PROTOCOL },
      connect.explain,
    );
    return new Promise((resolve, reject) => {
      let isAnnounced = false;
      socket.addEventListener('message', (event: MessageEvent) => {
        if (event.data instanceof ArrayBuffer) {
          emitOutput(new Uint8Array(event.data));
          return;
        }
        const parsed = parseMessage(event.data);
        if (parsed === undefined) return;
        if (parsed.type === 'session') {
          isAnnounced = true;
          sessionId = parsed.id;
          resolve(socket);
          const { replayedBytes, droppedBytes } = parsed;
          for (const listener of listeners.session)
            listener({ id: parsed.id, replayedBytes, droppedBytes, isReattach });
        } else if (parsed.type === 'exit') {
          exit = { exitCode: parsed.exitCode, signal: parsed.signal };
        } else {
          for (const listener of listeners.error) listener(parsed);
        }
      });
      socket.addEventListener('close', (event: CloseEvent) => {
        if (!isAnnounced) reject(closeError(event));
        else if (socket === ws) void onClose(event);
      });
    });
  };

  const onClose = async (event: CloseEvent) => {
    ws = undefined;
    if (isClosed) return;
    if (exit !== undefined) {
      isClosed = true;
      finish(exit);
      return;
    }
    const fatal = fatalClose(event);
    if (fatal !== undefined) {
      isClosed = true;
      fail(fatal);
      return;
    }
    const policy = options.reconnect;
    let error = closeError(event);
    for (let attempt = 1; attempt <= policy.maxAttempts && !isClosed; attempt++) {
      const delayMs = Math.min(policy.initialDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
      for (const listener of listeners.reconnecting) listener({ attempt, delayMs, error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (isClosed) return;
      try {
        const socket = await attach(true);
        if (isClosed) {
          socket.close(1000);
          return;
        }
        ws = socket;
        sendNow(socket, JSON.stringify({ type: 'resize', ...size }));
        for (const data of pendingInput.splice(0)) sendNow(socket, data);
        return;
      } catch (thrown) {
        error = thrown instanceof PaddockError ? thrown : closeError(undefined);
        if (error.code === ErrorCode.NotFound || error.code === ErrorCode.Conflict) break;
      }
    }
    if (isClosed) return;
    isClosed = true;
    fail(error);
  };

  ws = await attach(false);
  for (const data of pendingInput.splice(0)) sendNow(ws, data);

  return {
    get sessionId() {
      return sessionId;
    },
    write: (data) => send(typeof data === 'string' ? encoder.encode(data) : data),
    resize: (cols, rows) => {
      size = { cols, rows };
      if (ws?.readyState === WebSocket.OPEN)
        sendNow(ws, JSON.stringify({ type: 'resize', cols, rows }));
    },
    signal: (name) => send(JSON.stringify({ type: 'signal', signal: name })),
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      if (event === 'output' && pendingOutput.length > 0) {
        for (const data of pendingOutput.splice(0)) (listener as TerminalEvents['output'])(data);
      }
      return () => set.delete(listener);
    },
    done,
    close: () => {
      if (isClosed) return;
      isClosed = true;
      ws?.close(1000, 'client closed');
      finish(exit);
    },
  };
}

function parseMessage(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = ServerMessage.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The error of a close that re-attaching cannot repair; undefined for a dropped connection. */
function fatalClose(event: CloseEvent): PaddockError | undefined {
  switch (event.code) {
    case TerminalCloseCode.SessionNotFound:
    case TerminalCloseCode.Replaced:
    case TerminalCloseCode.StartFailed:
    case 1000:
    case 1001:
      return closeError(event);
    default:
      return undefined;
  }
}

function closeError(event: CloseEvent | undefined): PaddockError {
  const reason = event?.reason ? `: ${event.reason}` : '';
  switch (event?.code) {
    case TerminalCloseCode.SessionNotFound:
      return new PaddockError(
        ErrorCode.NotFound,
        `the terminal session has ended or its reconnect window has passed${reason}`,
      );
    case TerminalCloseCode.Replaced:
      return new PaddockError(ErrorCode.Conflict, 'another connection took over the terminal');
    case 1001:
      return new PaddockError(ErrorCode.RuntimeUnavailable, `the server is shutting down${reason}`);
    default:
      return new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `the terminal connection closed (${event?.code ?? 'no code'})${reason}`,
      );
  }
}
