/**
 * Clients that send a large body the way uploads arrive, to check that a listener answers an
 * over-limit or unread body (413, 401 …) every time instead of losing the answer in a reset.
 * For tests (this package's, the server's, the gateway's); Node.js built-ins only.
 */
import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

export type Answer = { status: number; headers: IncomingHttpHeaders; body: string };

export type Upload = {
  method?: string;
  headers?: Record<string, string>;
  sizeBytes: number;
  isChunked: boolean;
  /** Send only this many bytes, then stall (never end the body). */
  stallAfterBytes?: number;
  /**
   * Read nothing until the whole body is sent, as clients that write first and read after do.
   * An answer they have not read is lost when the server resets the connection.
   */
  isReadingLate?: boolean;
};

const PIECE_BYTES = 64 * 1024;
const PIECE = Buffer.alloc(PIECE_BYTES);
for (let i = 0; i < PIECE_BYTES; i++) PIECE[i] = 97 + (i % 26);

/** The body an {@link Upload} of `sizeBytes` sends: 64 KiB pieces of a repeating alphabet. */
export function uploadBody(sizeBytes: number): Buffer {
  const pieces = Array.from({ length: Math.ceil(sizeBytes / PIECE_BYTES) }, () => PIECE);
  return Buffer.concat(pieces).subarray(0, sizeBytes);
}

/**
 * POSTs `sizeBytes` in 64 KiB pieces, honouring backpressure, and keeps sending until the answer
 * is complete. Resolves with the answer; rejects when the connection fails first (ECONNRESET,
 * EPIPE), which is what a lost 413 looks like.
 */
export function uploadInPieces(url: string, options: Upload): Promise<Answer> {
  return startUpload(url, options).answer;
}

/** {@link uploadInPieces}, with the client request at hand (to cut the connection mid-body). */
export function startUpload(
  url: string,
  options: Upload,
): { request: ClientRequest; answer: Promise<Answer> } {
  const req = request(url, {
    method: options.method ?? 'POST',
    headers: {
      ...options.headers,
      ...(options.isChunked ? {} : { 'content-length': String(options.sizeBytes) }),
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    const end = options.stallAfterBytes ?? options.sizeBytes;
    let sent = 0;
    const pump = () => {
      while (sent < end) {
        const piece = PIECE.subarray(0, Math.min(PIECE_BYTES, end - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      if (options.stallAfterBytes === undefined) req.end(() => req.socket?.resume());
    };
    if (options.isReadingLate === true) req.once('socket', (socket) => socket.pause());
    pump();
  });
  return { request: req, answer };
}

/**
 * A client below node:http, on a bare TCP socket: it declares `declaredBytes` of body, sends up
 * to `sendBytes` of it (then stalls), and never closes the connection itself. Resolves, once the
 * server has closed it, with the raw answer bytes as text.
 */
export function rawUpload(
  url: string,
  options: { declaredBytes: number; sendBytes: number },
): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.write(
    `POST / HTTP/1.1\r\nhost: ${hostname}\r\ncontent-length: ${options.declaredBytes}\r\n\r\n`,
  );
  let sent = 0;
  const pump = () => {
    while (sent < options.sendBytes && !socket.destroyed) {
      const piece = PIECE.subarray(0, Math.min(PIECE_BYTES, options.sendBytes - sent));
      sent += piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return new Promise((resolve) => {
    // A reset once the server stops reading is expected; the answer is what arrived before.
    socket.on('error', () => {});
    socket.once('close', () => resolve(Buffer.concat(received).toString('utf8')));
  });
}
