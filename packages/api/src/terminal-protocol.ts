import { z } from 'zod';

// The WebSocket wire contract of the terminal (`/ws/terminal/{namespace}/{name}`) and of port
// forwarding (`/ws/port-forward/{namespace}/{name}/{port}`), shared by the server and the client.

/** The subprotocol the server selects; clients that send a bearer subprotocol must offer it too. */
export const TERMINAL_PROTOCOL = 'paddock.terminal.v1';

/** The subprotocol of a port forward: binary frames are the TCP bytes, both ways. */
export const PORT_FORWARD_PROTOCOL = 'paddock.port-forward.v1';

/** The subprotocol prefix that carries a bearer token (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'paddock.bearer.';

/** Bytes kept for a detached terminal; older output is dropped. */
export const TERMINAL_BUFFER_BYTES = 1024 * 1024;

/** The largest frame a client may send. */
export const TERMINAL_MAX_FRAME_BYTES = 1024 * 1024;

const Size = z.coerce.number().int().min(1).max(10_000);

/** Query of `/ws/terminal/{namespace}/{name}` (unknown parameters are refused). */
export const TerminalQuery = z.strictObject({
  cols: Size.optional(),
  rows: Size.optional(),
  /** Re-attach to a detached session within the reconnect window. */
  session: z.uuid().optional(),
  /** A bearer token, for clients that can set neither a header nor a subprotocol. */
  token: z.string().optional(),
  /** What to run instead of the login shell: a JSON array of argv, e.g. `["python3","-i"]`. */
  command: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of strings' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.string().min(1)).min(1, 'must not be empty').max(256))
    .optional(),
});
export type TerminalQuery = z.output<typeof TerminalQuery>;

/** Signals a client may send to the shell. */
export const TerminalSignal = {
  SIGINT: 'SIGINT',
  SIGTERM: 'SIGTERM',
  SIGKILL: 'SIGKILL',
  SIGHUP: 'SIGHUP',
  SIGQUIT: 'SIGQUIT',
  SIGTSTP: 'SIGTSTP',
  SIGCONT: 'SIGCONT',
  SIGUSR1: 'SIGUSR1',
  SIGUSR2: 'SIGUSR2',
} as const;
export type TerminalSignal = (typeof TerminalSignal)[keyof typeof TerminalSignal];

/** A text frame from the client. Binary frames are raw terminal input. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('resize'), cols: Size, rows: Size }),
  z.strictObject({ type: z.literal('signal'), signal: z.enum(TerminalSignal) }),
]);
export type ClientMessage = z.output<typeof ClientMessage>;

/** A text frame from the server. Binary frames are raw terminal output. */
export const ServerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('session'),
    id: z.string(),
    replayedBytes: z.int().nonnegative(),
    droppedBytes: z.int().nonnegative(),
  }),
  z.object({
    type: z.literal('exit'),
    exitCode: z.int().nullable(),
    signal: z.string().nullable(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.output<typeof ServerMessage>;

/** WebSocket close codes the server uses besides 1000 (normal) and 1001 (going away). */
export const TerminalCloseCode = {
  /** The session id is unknown, expired or not the caller's. */
  SessionNotFound: 4404,
  /** Another connection re-attached to the session. */
  Replaced: 4409,
  /** The shell could not be started. */
  StartFailed: 4500,
} as const;
