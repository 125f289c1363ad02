import { type ExecBody, SANDBOX_ROUTES } from '@paddock/api';
import { readySandbox } from '@paddock/control';
import type { ExecRequest, ProcessHandle } from '@paddock/core';
import { startNdjsonStream } from '@paddock/http';
import { toPaddockError } from '../http/errors.ts';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { HEARTBEAT_MS } from '../http/sse.ts';
import type { HandlerCall } from '../server-deps.ts';

/** Buffered exec keeps at most this much of each stream; the rest is dropped (`truncated`). */
export const MAX_EXEC_OUTPUT_BYTES = 4 * 1024 * 1024;

function execRequest(body: ExecBody): ExecRequest {
  return {
    command: body.command,
    ...(body.env === undefined ? {} : { env: body.env }),
    ...(body.cwd === undefined ? {} : { cwd: body.cwd }),
    ...(body.timeoutMs === undefined ? {} : { timeoutMs: body.timeoutMs }),
  };
}

async function feedStdin(handle: ProcessHandle, stdin: string | undefined): Promise<void> {
  const writer = handle.stdin.getWriter();
  try {
    if (stdin !== undefined) await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  } catch {
    // The process may exit before reading its stdin; that is its business.
  }
}

async function collect(stream: ReadableStream<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    if (size + chunk.byteLength > MAX_EXEC_OUTPUT_BYTES) {
      truncated = true;
      chunks.push(chunk.subarray(0, Math.max(0, MAX_EXEC_OUTPUT_BYTES - size)));
      size = MAX_EXEC_OUTPUT_BYTES;
    } else if (!truncated) {
      chunks.push(chunk);
      size += chunk.byteLength;
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

async function start(
  call: HandlerCall,
  params: { namespace: string; name: string },
  body: ExecBody,
) {
  const { ref } = await readySandbox(call.deps.engine.store, call.principal, params, {
    ...(body.autoResume === true ? { autoResume: true } : {}),
    signal: call.deps.shutdown,
  });
  call.ctx.audit.details = { program: body.command[0] ?? '' };
  const handle = await call.deps.engine.runtime.exec(ref, execRequest(body));
  return handle;
}

export const execHandlers: RouteHandler[] = [
  on(
    SANDBOX_ROUTES.exec,
    async (call, { params, body }) => {
      const startedMs = performance.now();
      const handle = await start(call, params, body);
      const [, stdout, stderr, exit] = await Promise.all([
        feedStdin(handle, body.stdin),
        collect(handle.stdout),
        collect(handle.stderr),
        handle.exit,
      ]);
      call.deps.metrics.execs.inc({ result: exit.exitCode === 0 ? 'success' : 'nonzero' });
      call.ctx.audit.details = { ...call.ctx.audit.details, exitCode: exit.exitCode };
      return json({
        ...exit,
        stdout: stdout.text,
        stderr: stderr.text,
        ...(stdout.truncated || stderr.truncated ? { truncated: true } : {}),
        durationMs: Math.round(performance.now() - startedMs),
      });
    },
    { action: 'sandbox.exec' },
  ),
  on(
    SANDBOX_ROUTES.execStream,
    async (call, { params, body }) => {
      const startedMs = performance.now();
      const handle = await start(call, params, body);
      const { res } = call;
      // A blank line every 15 s (readers skip it) keeps a quiet command's stream open.
      const stream = startNdjsonStream(res, {
        headers: { 'cache-control': 'no-store', 'x-request-id': call.ctx.requestId },
        heartbeatMs: HEARTBEAT_MS,
      });
      const { line } = stream;
      line({ type: 'started', processId: handle.id });
      // Closing the connection kills the process.
      const kill = () => void handle.signal('SIGKILL').catch(() => {});
      res.once('close', kill);
      const pump = async (stream: ReadableStream<Uint8Array>, type: 'stdout' | 'stderr') => {
        const decoder = new TextDecoder();
        for await (const chunk of stream)
          line({ type, data: decoder.decode(chunk, { stream: true }) });
      };
      try {
        const [, , , exit] = await Promise.all([
          feedStdin(handle, body.stdin),
          pump(handle.stdout, 'stdout'),
          pump(handle.stderr, 'stderr'),
          handle.exit,
        ]);
        call.deps.metrics.execs.inc({ result: exit.exitCode === 0 ? 'success' : 'nonzero' });
        line({ type: 'exit', ...exit, durationMs: Math.round(performance.now() - startedMs) });
      } catch (error) {
        const known = toPaddockError(error, call.ctx.requestId, call.deps.log);
        line({ type: 'error', code: known.code, message: known.message });
      }
      res.off('close', kill);
      stream.end();
      return streamed();
    },
    { action: 'sandbox.exec' },
  ),
];
