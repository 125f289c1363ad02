/**
 * The daemon mode's HTTP endpoint. Every request needs `Authorization: Bearer <PADDOCK_AGENT_TOKEN>`
 * (compared in constant time), else 401.
 * - `POST /messages {"text": "…"}` → 202: queued for the loop (409 once the run has finished).
 * - `GET /events` → server-sent events: each transcript event as `id: <n>` (its position from 1)
 *   and `data: <json>`; `Last-Event-ID` resumes after that position from the in-memory history.
 *   The stream ends after `run.finished`.
 * - `POST /cancel` → 202: the run ends `cancelled`.
 * Errors use Paddock's envelope `{error: {code, message}}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorCode,
  fieldIssues,
  RunOutcome,
  type TranscriptEvent,
  TranscriptEventType,
} from '@paddock/core';
import { z } from 'zod';
import type { MessageQueue } from './message-queue.ts';
import type { RunStopper } from './run-stopper.ts';
import type { TranscriptWriter } from './transcript-writer.ts';

const MAX_BODY_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

const PostMessage = z.strictObject({ text: z.string().min(1) });

export type DaemonServer = { url: string; close(): Promise<void> };

export type DaemonOptions = {
  host: string;
  port: number;
  token: string;
  writer: TranscriptWriter;
  queue: MessageQueue;
  stopper: RunStopper;
};

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: unknown,
): void {
  sendJson(res, status, { error: { code, message, ...(details ? { details } : {}) } });
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sseFrame(event: TranscriptEvent, index: number): string {
  return `id: ${index}\ndata: ${JSON.stringify(event)}\n\n`;
}

export async function startDaemonServer(options: DaemonOptions): Promise<DaemonServer> {
  const expected = digest(`Bearer ${options.token}`);
  const streams = new Set<ServerResponse>();

  const isAuthorized = (req: IncomingMessage) =>
    timingSafeEqual(digest(req.headers.authorization ?? ''), expected);

  function streamEvents(req: IncomingMessage, res: ServerResponse): void {
    const lastId = Number(
      req.headers['last-event-id'] ??
        new URL(req.url ?? '/', 'http://x').searchParams.get('lastEventId') ??
        0,
    );
    const from = Number.isSafeInteger(lastId) && lastId > 0 ? lastId : 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const history = options.writer.history;
    for (let i = from; i < history.length; i++) {
      const event = history[i];
      if (event) res.write(sseFrame(event, i + 1));
    }
    if (options.writer.isFinished) {
      res.end();
      return;
    }
    streams.add(res);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    const unsubscribe = options.writer.subscribe((event, index) => {
      res.write(sseFrame(event, index));
      if (event.type === TranscriptEventType.RunFinished) res.end();
    });
    res.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAuthorized(req)) {
      sendError(res, 401, ErrorCode.Unauthenticated, 'a valid bearer token is required');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /events':
        streamEvents(req, res);
        return;
      case 'POST /messages': {
        const body = await readBody(req);
        if (body === undefined) {
          sendError(
            res,
            413,
            ErrorCode.PayloadTooLarge,
            `the body is larger than ${MAX_BODY_BYTES} bytes`,
          );
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(body);
        } catch {
          sendError(res, 400, ErrorCode.ValidationFailed, 'the body is not JSON');
          return;
        }
        const parsed = PostMessage.safeParse(value);
        if (!parsed.success) {
          const issues = fieldIssues(parsed.error);
          sendError(
            res,
            400,
            ErrorCode.ValidationFailed,
            `invalid message: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            { issues },
          );
          return;
        }
        if (options.writer.isFinished || options.stopper.stop) {
          sendError(res, 409, ErrorCode.Conflict, 'the run has finished');
          return;
        }
        options.queue.push(parsed.data.text);
        sendJson(res, 202, { accepted: true });
        return;
      }
      case 'POST /cancel':
        options.stopper.request({
          outcome: RunOutcome.Cancelled,
          message: 'cancelled through POST /cancel',
        });
        sendJson(res, 202, { accepted: true });
        return;
      default:
        sendError(res, 404, ErrorCode.NotFound, `no route ${route}`);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, ErrorCode.Internal, 'internal error');
      else res.end();
      process.stderr.write(`paddock-agent: daemon request failed: ${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
