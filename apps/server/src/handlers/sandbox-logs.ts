import { SANDBOX_ROUTES } from '@paddock/api';
import { MAIN_PROCESS_ID, runtimeRefOf, usableSandbox } from '@paddock/control';
import type { ProcessHandle } from '@paddock/core';
import { streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { startSse } from '../http/sse.ts';

/** Without `follow`, output is read until the main process is this quiet. */
const QUIET_MS = 200;

async function attachMain(
  runtime: { attach(ref: ReturnType<typeof runtimeRefOf>, id: string): Promise<ProcessHandle> },
  ref: ReturnType<typeof runtimeRefOf>,
): Promise<ProcessHandle | undefined> {
  try {
    return await runtime.attach(ref, MAIN_PROCESS_ID);
  } catch {
    return undefined; // no main process (the template has no command) or not provisioned yet
  }
}

/** Reads what is there now: stops after `QUIET_MS` without output or at the stream's end. */
async function drainNow(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const next = await Promise.race([
      reader.read(),
      new Promise<'quiet'>((resolve) => setTimeout(() => resolve('quiet'), QUIET_MS)),
    ]);
    if (next === 'quiet' || next.done) break;
    chunks.push(next.value);
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).toString('utf8');
}

export const logHandlers: RouteHandler[] = [
  on(SANDBOX_ROUTES.logs, async (call, { params, query }) => {
    const sandbox = await usableSandbox(call.deps.engine.store, call.principal, params);
    const handle = await attachMain(call.deps.engine.runtime, runtimeRefOf(sandbox));
    if (!query.follow) {
      let text = '';
      if (handle !== undefined) {
        const [out, err] = await Promise.all([drainNow(handle.stdout), drainNow(handle.stderr)]);
        text = out + err;
      }
      if (query.tailLines !== undefined) {
        const lines = text.split('\n');
        const hasTrailing = text.endsWith('\n');
        const body = hasTrailing ? lines.slice(0, -1) : lines;
        text =
          body.slice(Math.max(0, body.length - query.tailLines)).join('\n') +
          (hasTrailing && query.tailLines > 0 ? '\n' : '');
      }
      call.res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'x-request-id': call.ctx.requestId,
      });
      call.res.end(text);
      return streamed();
    }
    const sse = startSse(call.res, call.ctx.requestId, call.deps.shutdown);
    if (handle !== undefined) {
      const pump = async (stream: ReadableStream<Uint8Array>, name: 'stdout' | 'stderr') => {
        const decoder = new TextDecoder();
        const reader = stream.getReader();
        void sse.closed.then(() => reader.cancel().catch(() => {}));
        for (;;) {
          const next = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (next.done) return;
          sse.send({
            data: {
              stream: name,
              text: decoder.decode(next.value, { stream: true }),
              timestamp: new Date().toISOString(),
            },
          });
        }
      };
      await Promise.race([
        Promise.all([pump(handle.stdout, 'stdout'), pump(handle.stderr, 'stderr')]),
        sse.closed,
      ]);
    }
    sse.end();
    return streamed();
  }),
];
