/**
 * envd's `process.Process` service: commands and PTYs on the SandboxRuntime seam, so the SDK's
 * `sandbox.commands` and `sandbox.pty` work unchanged. Where each process lives (a runtime
 * background process, or a live one in this server) is `envd-process-table.ts`'s business.
 *
 * Paddock sandboxes run one unprivileged user: a `Start` as `root` is `permission_denied`.
 */
import { posix } from 'node:path';
import { AuditAction } from '@paddock/core';
import { z } from 'zod';
import { ConnectCode, ConnectError } from './connect.ts';
import type { EnvdCall, EnvdRpc } from './e2b-call.ts';
import { deadlineMsOf, follow, followLive, ProcessEventStream } from './envd-process-stream.ts';
import {
  backgroundCommand,
  type E2bProcess,
  e2bProcessOf,
  LiveProcess,
  processTableOf,
} from './envd-process-table.ts';

/** Where a relative or missing `cwd` starts: the sandbox user's home, as on E2B. */
const HOME = '/home/user';

const Uint32 = z.union([
  z.number().int().min(0).max(0xffff_ffff),
  z
    .string()
    .regex(/^[0-9]{1,10}$/)
    .transform(Number)
    .pipe(z.number().max(0xffff_ffff)),
]);
const Size = z.object({
  cols: Uint32.pipe(z.number().min(1)),
  rows: Uint32.pipe(z.number().min(1)),
});
const Pty = z.object({ size: Size.optional() });
const Bytes = z.string().transform((s) => new Uint8Array(Buffer.from(s, 'base64')));

const StartRequest = z.object({
  process: z.object({
    cmd: z.string().min(1),
    args: z.array(z.string()).default([]),
    envs: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
  }),
  pty: Pty.nullish(),
  tag: z.string().optional(),
  // Absent means on: older clients always had stdin.
  stdin: z.boolean().optional(),
});
const Selector = z.object({ pid: Uint32.optional(), tag: z.string().optional() });
const Selected = z.object({ process: Selector });
const SendInputRequest = Selected.extend({
  input: z.object({ stdin: Bytes.optional(), pty: Bytes.optional() }),
});
const SendSignalRequest = Selected.extend({ signal: z.union([z.string(), z.number()]) });
const UpdateRequest = Selected.extend({ pty: Pty.nullish() });

function parse<T extends z.ZodType>(schema: T, message: Record<string, unknown>): z.infer<T> {
  const parsed = schema.safeParse(message);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.join('.') ?? '';
  throw new ConnectError(
    ConnectCode.InvalidArgument,
    `${where === '' ? 'request' : where}: ${issue?.message ?? 'invalid'}`,
  );
}

type Found =
  | { kind: 'live'; process: LiveProcess }
  | { kind: 'background'; process: E2bProcess; isRunning: boolean };

function describe(selector: z.infer<typeof Selector>): string {
  return selector.pid !== undefined
    ? `process with pid ${selector.pid}`
    : `process with tag ${JSON.stringify(selector.tag)}`;
}

/** The process a selector names: live ones first, then background ones (running unless told). */
async function find(
  call: EnvdCall,
  selector: z.infer<typeof Selector>,
  options: { isEndedAllowed?: boolean } = {},
): Promise<Found> {
  if (selector.pid === undefined && selector.tag === undefined)
    throw new ConnectError(ConnectCode.InvalidArgument, 'process: a pid or a tag is required');
  const isMatch = (p: E2bProcess) =>
    selector.pid !== undefined ? p.pid === selector.pid : p.tag === selector.tag;
  const live = processTableOf(call.deps.engine.runtime)
    .list(call.ref)
    .find((p) => isMatch(p) && p.isRunning);
  if (live !== undefined) return { kind: 'live', process: live };
  const infos = await call.deps.engine.runtime.listProcesses(call.ref);
  const candidates = infos
    .map((info) => ({ info, process: e2bProcessOf(info) }))
    .filter((c) => c.process !== undefined && isMatch(c.process))
    .filter((c) => c.info.running || options.isEndedAllowed === true)
    // A running one before an ended one of the same tag; the latest last.
    .sort((a, b) => Number(a.info.running) - Number(b.info.running));
  const found = candidates.at(-1);
  if (found?.process === undefined)
    throw new ConnectError(ConnectCode.NotFound, `${describe(selector)} not found`);
  return { kind: 'background', process: found.process, isRunning: found.info.running };
}

async function start(
  call: EnvdCall,
  message: Record<string, unknown>,
  stream: ConstructorParameters<typeof ProcessEventStream>[1],
): Promise<void> {
  if (call.user === 'root')
    throw new ConnectError(
      ConnectCode.PermissionDenied,
      'Paddock sandboxes run one unprivileged user ("user"): nothing runs as root',
    );
  const request = parse(StartRequest, message);
  const isPty = request.pty !== undefined && request.pty !== null;
  const hasStdin = !isPty && request.stdin !== false;
  const config = {
    cmd: request.process.cmd,
    args: request.process.args,
    envs: request.process.envs,
    cwd: posix.resolve(HOME, request.process.cwd ?? ''),
  };
  const runtime = call.deps.engine.runtime;
  const table = processTableOf(runtime);
  const pid = await table.allocatePid(call.ref);
  const timeoutMs = deadlineMsOf(call.req);
  if (isPty) call.ctx.audit.action = AuditAction.TerminalOpen;
  call.ctx.audit.details = { program: config.cmd, pid, ...(isPty ? { pty: true } : {}) };
  const tag = request.tag === undefined ? {} : { tag: request.tag };
  const common = {
    env: config.envs,
    cwd: config.cwd,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  if (isPty || hasStdin) {
    const size = request.pty?.size;
    const handle = await runtime.exec(call.ref, {
      ...common,
      command: [config.cmd, ...config.args],
      ...(isPty ? { tty: true, ...(size === undefined ? {} : size) } : {}),
    });
    const process = new LiveProcess({ pid, ...tag, config, isPty, hasStdin }, handle);
    const events = new ProcessEventStream(call.req, stream);
    events.started(pid);
    table.add(call.ref, process);
    await followLive(call, events, process);
    return;
  }
  const handle = await runtime.exec(call.ref, {
    ...common,
    command: backgroundCommand({ ...tag, config }),
    background: true,
    processId: String(pid),
  });
  const events = new ProcessEventStream(call.req, stream);
  events.started(pid);
  await follow(call, events, handle);
}

async function connect(
  call: EnvdCall,
  message: Record<string, unknown>,
  stream: ConstructorParameters<typeof ProcessEventStream>[1],
): Promise<void> {
  const { process: selector } = parse(Selected, message);
  const found = await find(call, selector, { isEndedAllowed: true });
  call.ctx.audit.details = { pid: found.process.pid };
  const events = new ProcessEventStream(call.req, stream);
  if (found.kind === 'live') {
    events.started(found.process.pid);
    await followLive(call, events, found.process);
    return;
  }
  // The runtime replays a background process's output from its start, then follows it.
  const handle = await call.deps.engine.runtime.attach(call.ref, String(found.process.pid));
  events.started(found.process.pid);
  await follow(call, events, handle);
}

function processInfoOf(process: E2bProcess) {
  return {
    pid: process.pid,
    ...(process.tag === undefined ? {} : { tag: process.tag }),
    config: process.config,
  };
}

async function list(call: EnvdCall) {
  const live = processTableOf(call.deps.engine.runtime)
    .list(call.ref)
    .filter((p) => p.isRunning);
  const background = (await call.deps.engine.runtime.listProcesses(call.ref))
    .filter((info) => info.running)
    .map(e2bProcessOf)
    .filter((p) => p !== undefined);
  return { processes: [...live, ...background].map(processInfoOf) };
}

function notWritable(pid: number, why: string): ConnectError {
  return new ConnectError(ConnectCode.FailedPrecondition, `process with pid ${pid} ${why}`);
}

async function sendInput(call: EnvdCall, message: Record<string, unknown>) {
  const request = parse(SendInputRequest, message);
  const found = await find(call, request.process);
  const { pid } = found.process;
  const data = request.input.pty ?? request.input.stdin;
  if (data === undefined)
    throw new ConnectError(ConnectCode.InvalidArgument, 'input: stdin or pty is required');
  if (found.kind !== 'live' || !(found.process.isPty || found.process.hasStdin))
    throw notWritable(pid, 'has no stdin: start it with stdin: true');
  const live = found.process;
  if (request.input.pty !== undefined && !live.isPty)
    throw notWritable(pid, 'is not a PTY: send stdin');
  if (request.input.pty === undefined && live.isPty)
    throw notWritable(pid, 'is a PTY: send pty input');
  if (data.byteLength > 0 && !(await live.write(data)))
    throw notWritable(pid, 'has closed its stdin');
  return {};
}

async function closeStdin(call: EnvdCall, message: Record<string, unknown>) {
  const { process: selector } = parse(Selected, message);
  const found = await find(call, selector);
  const { pid } = found.process;
  if (found.kind !== 'live' || !found.process.hasStdin) {
    throw notWritable(
      pid,
      found.kind === 'live' && found.process.isPty
        ? 'is a PTY: send Ctrl+D (0x04) instead'
        : 'has no stdin: start it with stdin: true',
    );
  }
  await found.process.closeStdin();
  return {};
}

const SIGNALS: Record<string, string> = {
  SIGNAL_SIGKILL: 'SIGKILL',
  SIGNAL_SIGTERM: 'SIGTERM',
  9: 'SIGKILL',
  15: 'SIGTERM',
};

async function sendSignal(call: EnvdCall, message: Record<string, unknown>) {
  const request = parse(SendSignalRequest, message);
  const signal = SIGNALS[String(request.signal)];
  if (signal === undefined)
    throw new ConnectError(ConnectCode.InvalidArgument, 'signal must be SIGKILL or SIGTERM');
  const found = await find(call, request.process);
  call.ctx.audit.details = { pid: found.process.pid, signal };
  if (found.kind === 'live') {
    await found.process.signal(signal);
    return {};
  }
  const handle = await call.deps.engine.runtime.attach(call.ref, String(found.process.pid));
  // Attaching opens its output too; only the signal is wanted.
  await Promise.all([handle.stdout.cancel(), handle.stderr.cancel()]).catch(() => {});
  await handle.signal(signal);
  return {};
}

async function update(call: EnvdCall, message: Record<string, unknown>) {
  const request = parse(UpdateRequest, message);
  const found = await find(call, request.process);
  const size = request.pty?.size;
  if (size === undefined) return {};
  if (found.kind !== 'live' || !found.process.isPty)
    throw notWritable(found.process.pid, 'is not a PTY');
  await found.process.resize(size.cols, size.rows);
  return {};
}

export const PROCESS_RPCS: Readonly<Record<string, EnvdRpc>> = {
  'process.Process/Start': { kind: 'stream', action: AuditAction.SandboxExec, handle: start },
  'process.Process/Connect': {
    kind: 'stream',
    action: 'sandbox.process.connect',
    handle: connect,
  },
  'process.Process/List': { kind: 'unary', action: 'sandbox.process.list', handle: list },
  'process.Process/SendInput': {
    kind: 'unary',
    action: 'sandbox.process.input',
    quiet: true,
    handle: sendInput,
  },
  'process.Process/CloseStdin': {
    kind: 'unary',
    action: 'sandbox.process.input',
    handle: closeStdin,
  },
  'process.Process/SendSignal': {
    kind: 'unary',
    action: 'sandbox.process.signal',
    handle: sendSignal,
  },
  'process.Process/Update': {
    kind: 'unary',
    action: 'sandbox.process.resize',
    quiet: true,
    handle: update,
  },
};
