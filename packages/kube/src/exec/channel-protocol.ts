/**
 * The channel protocol of pods/exec, pods/attach and pods/portforward over WebSocket (Kubernetes'
 * `wsstream`): every binary message starts with one byte naming its channel, the rest is that
 * channel's bytes. `v5.channel.k8s.io` adds a message `[255, channel]` that closes one channel
 * (stdin EOF); `v4.channel.k8s.io` cannot close a channel short of closing the socket.
 */

/** The subprotocols this library speaks, best first. */
export const ChannelProtocol = {
  V5: 'v5.channel.k8s.io',
  V4: 'v4.channel.k8s.io',
} as const;
export type ChannelProtocol = (typeof ChannelProtocol)[keyof typeof ChannelProtocol];

/** The channels of remote command execution (`remotecommand` constants): POSIX fds first. */
export const ExecChannel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  /** The server's final `Status` (JSON): Success, or Failure with the exit code. */
  Error: 3,
  /** Terminal size as JSON `{"Width":cols,"Height":rows}`, client to server. */
  Resize: 4,
} as const;
export type ExecChannel = (typeof ExecChannel)[keyof typeof ExecChannel];

/** The first byte of a v5 message closing the channel named by its second byte. */
export const CLOSE_CHANNEL = 255;

/** A decoded message: bytes on a channel, or (v5) the close of one. */
export type ChannelMessage =
  | { kind: 'data'; channel: number; data: Uint8Array }
  | { kind: 'close'; channel: number };

/** `[channel, ...data]`. */
export function encodeData(channel: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(data.byteLength + 1);
  frame[0] = channel;
  frame.set(data, 1);
  return frame;
}

/** `[255, channel]`: closes `channel` (v5 only). */
export function encodeClose(channel: number): Buffer {
  return Buffer.from([CLOSE_CHANNEL, channel]);
}

/** The resize message: channel 4 and the JSON of client-go's `TerminalSize`. */
export function encodeResize(cols: number, rows: number): Buffer {
  return encodeData(
    ExecChannel.Resize,
    Buffer.from(JSON.stringify({ Width: cols, Height: rows }), 'utf8'),
  );
}

/**
 * Decodes one binary message. An empty message carries nothing (`undefined`); so does a close
 * under v4, where 255 is no channel. Data may be empty: the server's first message is an empty
 * one on its lowest writable channel, saying the session is open.
 */
export function decodeMessage(
  message: Uint8Array,
  protocol: ChannelProtocol,
): ChannelMessage | undefined {
  if (message.byteLength === 0) return undefined;
  const channel = message[0] as number;
  if (channel === CLOSE_CHANNEL) {
    if (protocol !== ChannelProtocol.V5 || message.byteLength !== 2) return undefined;
    return { kind: 'close', channel: message[1] as number };
  }
  return { kind: 'data', channel, data: message.subarray(1) };
}

/** The largest payload one message carries from this side (larger writes are split). */
export const MAX_PAYLOAD_BYTES = 32 * 1024;

/** `data` as messages on `channel`, each at most `MAX_PAYLOAD_BYTES` of payload. */
export function* encodeChunks(channel: number, data: Uint8Array): Generator<Buffer> {
  for (let start = 0; start < data.byteLength; start += MAX_PAYLOAD_BYTES) {
    yield encodeData(channel, data.subarray(start, start + MAX_PAYLOAD_BYTES));
  }
}
