// A sandbox's background processes over REST: list, start, describe, follow, kill. The rights are
// exec's (whoever may use the sandbox); the runtime keeps the processes and their output.
import { SANDBOX_ROUTES, type SandboxProcess, type StartProcessBody } from '@paddock/api';
import { readySandbox, runtimeRefOf, usableSandbox } from '@paddock/control';
import {
  AuditAction,
  ErrorCode,
  type ExecRequest,
  PaddockError,
  type ProcessInfo,
  type SandboxRef,
} from '@paddock/core';
import { startNdjsonStream } from '@paddock/http';
import { toPaddockError } from '../http/errors.ts';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { HEARTBEAT_MS } from '../http/sse.ts';
import type { HandlerCall } from '../server-deps.ts';

type Params = { namespace: string; name: string };

function viewOf(info: ProcessInfo): SandboxProcess {
  return {
    id: info.id,
    command: info.command,
    startedAt: info.startedAt,
    running: info.running,
    ...(info.exit === undefined ? {} : { exit: info.exit }),
  };
}

function startRequest(body: StartProcessBody): ExecRequest {
  return {
    command: body.command,
    background: true,
    ...(body.env === undefined ? {} : { env: body.env }),
    ...(body.cwd === undefined ? {} : { cwd: body.cwd }),
    ...(body.timeoutMs === undefined ? {} : { timeoutMs: body.timeoutMs }),
    ...(body.processId === undefined ? {} : { processId: body.processId }),
  };
}

/** The sandbox's runtime ref, if the caller may use it (as exec, files and logs). */
async function usableRef(call: HandlerCall, params: Params): Promise<SandboxRef> {
  return runtimeRefOf(await usableSandbox(call.deps.engine.store, call.principal, params));
}

async function processOf(call: HandlerCall, ref: SandboxRef, id: string): Promise<ProcessInfo> {
  const found = (await call.deps.engine.runtime.listProcesses(ref)).find((p) => p.id === id);
  if (found === undefined) {
    throw new PaddockError(ErrorCode.NotFound, `no process "${id}" in sandbox ${ref.name}`, {
      processId: id,
    });
  }
  return found;
}

export const processHandlers: RouteHandler[] = [
  on(SANDBOX_ROUTES.listProcesses, async (call, { params }) => {
    const ref = await usableRef(call, params);
    const infos = await call.deps.engine.runtime.listProcesses(ref);
    return json({ items: infos.map(viewOf) });
  }),
  on(
    SANDBOX_ROUTES.startProcess,
    async (call, { params, body }) => {
      const { ref } = await readySandbox(call.deps.engine.store, call.principal, params, {
        ...(body.autoResume === true ? { autoResume: true } : {}),
        signal: call.deps.shutdown,
      });
      call.ctx.audit.details = { program: body.command[0] ?? '', background: true };
      const handle = await call.deps.engine.runtime.exec(ref, startRequest(body));
      // Its output stays with the runtime (GET …/output replays it); nothing is read here.
      await Promise.all([
        handle.stdin.close().catch(() => {}),
        handle.stdout.cancel().catch(() => {}),
        handle.stderr.cancel().catch(() => {}),
      ]);
      call.ctx.audit.details = { ...call.ctx.audit.details, processId: handle.id };
      return json(viewOf(await processOf(call, ref, handle.id)), 201);
    },
    { action: AuditAction.SandboxExec },
  ),
  on(SANDBOX_ROUTES.getProcess, async (call, { params }) => {
    const ref = await usableRef(call, params);
    return json(viewOf(await processOf(call, ref, params.processId)));
  }),
  on(SANDBOX_ROUTES.processOutput, async (call, { params }) => {
    const ref = await usableRef(call, params);
    const info = await processOf(call, ref, params.processId);
    const handle = await call.deps.engine.runtime.attach(ref, params.processId);
    const { res } = call;
    const stream = startNdjsonStream(res, {
      headers: { 'cache-control': 'no-store', 'x-request-id': call.ctx.requestId },
      heartbeatMs: HEARTBEAT_MS,
    });
    const { line } = stream;
    line({ type: 'started', processId: info.id });
    // A reader gone stops the following, never the process.
    const stop = () => {
      void handle.stdout.cancel().catch(() => {});
      void handle.stderr.cancel().catch(() => {});
    };
    res.once('close', stop);
    const pump = async (output: ReadableStream<Uint8Array>, type: 'stdout' | 'stderr') => {
      const decoder = new TextDecoder();
      for await (const chunk of output)
        line({ type, data: decoder.decode(chunk, { stream: true }) });
    };
    try {
      const [, , exit] = await Promise.all([
        pump(handle.stdout, 'stdout'),
        pump(handle.stderr, 'stderr'),
        handle.exit,
      ]);
      const durationMs = Math.max(0, Date.now() - Date.parse(info.startedAt));
      line({ type: 'exit', ...exit, durationMs });
    } catch (error) {
      if (!res.destroyed) {
        const known = toPaddockError(error, call.ctx.requestId, call.deps.log);
        line({ type: 'error', code: known.code, message: known.message });
      }
    }
    res.off('close', stop);
    stream.end();
    return streamed();
  }),
  on(
    SANDBOX_ROUTES.killProcess,
    async (call, { params, query }) => {
      const ref = await usableRef(call, params);
      const signal = query.signal ?? 'SIGKILL';
      call.ctx.audit.details = { processId: params.processId, signal };
      const info = await processOf(call, ref, params.processId);
      if (!info.running) return json(viewOf(info));
      const handle = await call.deps.engine.runtime.attach(ref, params.processId);
      await Promise.all([handle.stdout.cancel(), handle.stderr.cancel()]).catch(() => {});
      await handle.signal(signal);
      if (signal === 'SIGKILL' || signal === 'KILL') await handle.exit;
      return json(viewOf(await processOf(call, ref, params.processId)));
    },
    { action: AuditAction.SandboxExec },
  ),
];
