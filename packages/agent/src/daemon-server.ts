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
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ErrorCode, fieldIssues, RunOutcome, TranscriptEventType } from '@paddock/core';
import {
  BodyProblem,
  closeServer,
  type EventStream,
  isBodyProblem,
  listen,
  readBody,
  sendJson,
  startEventStream,
} from '@paddock/http';
import { z } from 'zod';
import type { MessageQueue } from './message-queue.ts';
import type { RunStopper } from './run-stopper.ts';
import type { TranscriptWriter } from './transcript-writer.ts';

const MAX_BODY_BYTES = 1024 * 1024;
/** How often an idle event stream sends a comment, so proxies keep it open. */
const HEARTBEAT_MS = 15_000;

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

/**
 * Answers in Paddock's envelope. `req` lets an answer given before the body was read (401, 413)
 * reach the client: the connection closes only once the rest of the body has arrived.
 */
function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: unknown,
): void {
  const body = { error: { code, message, ...(details ? { details } : {}) } };
  if (!sendJson(res, status, body, { req })) res.end();
}

export async function startDaemonServer(options: DaemonOptions): Promise<DaemonServer> {
  const expected = digest(`Bearer ${options.token}`);
  const streams = new Set<EventStream>();

  const isAuthorized = (req: IncomingMessage) =>
    timingSafeEqual(digest(req.headers.authorization ?? ''), expected);

  function streamEvents(req: IncomingMessage, res: ServerResponse): void {
    const lastId = Number(
      req.headers['last-event-id'] ??
        new URL(req.url ?? '/', 'http://x').searchParams.get('lastEventId') ??
        0,
    );
    const from = Number.isSafeInteger(lastId) && lastId > 0 ? lastId : 0;
    const stream = startEventStream(res, { heartbeatMs: HEARTBEAT_MS });
    const history = options.writer.history;
    for (let i = from; i < history.length; i++) {
      const event = history[i];
      if (event) stream.send({ id: i + 1, data: JSON.stringify(event) });
    }
    if (options.writer.isFinished) {
      stream.end();
      return;
    }
    streams.add(stream);
    const unsubscribe = options.writer.subscribe((event, index) => {
      stream.send({ id: index, data: JSON.stringify(event) });
      if (event.type === TranscriptEventType.RunFinished) stream.end();
    });
    void stream.closed.then(() => {
      unsubscribe();
      streams.delete(stream);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAuthorized(req)) {
      sendError(req, res, 401, ErrorCode.Unauthenticated, 'a valid bearer token is required');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /events':
        streamEvents(req, res);
        return;
      case 'POST /messages': {
        let value: unknown;
        try {
          value = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
        } catch (error) {
          if (isBodyProblem(error, BodyProblem.TooLarge)) {
            const message = `the body is larger than ${MAX_BODY_BYTES} bytes`;
            sendError(req, res, 413, ErrorCode.PayloadTooLarge, message);
          } else if (error instanceof SyntaxError) {
            sendError(req, res, 400, ErrorCode.ValidationFailed, 'the body is not JSON');
          } else throw error;
          return;
        }
        const parsed = PostMessage.safeParse(value);
        if (!parsed.success) {
          const issues = fieldIssues(parsed.error);
          sendError(
            req,
            res,
            400,
            ErrorCode.ValidationFailed,
            `invalid message: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            { issues },
          );
          return;
        }
        if (options.writer.isFinished || options.stopper.stop) {
          sendError(req, res, 409, ErrorCode.Conflict, 'the run has finished');
          return;
        }
        options.queue.push(parsed.data.text);
        sendJson(res, 202, { accepted: true }, { req });
        return;
      }
      case 'POST /cancel':
        options.stopper.request({
          outcome: RunOutcome.Cancelled,
          message: 'cancelled through POST /cancel',
        });
        sendJson(res, 202, { accepted: true }, { req });
        return;
      default:
        sendError(req, res, 404, ErrorCode.NotFound, `no route ${route}`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A body cut off by the client leaving has nobody to answer.
      if (!isBodyProblem(error, BodyProblem.CutOff)) {
        sendError(req, res, 500, ErrorCode.Internal, 'internal error');
        process.stderr.write(`paddock-agent: daemon request failed: ${String(error)}\n`);
      }
    });
  });
  return {
    url: await listen(server, options.port, options.host),
    async close() {
      for (const stream of streams) stream.end();
      await closeServer(server);
    },
  };
}
