import type {
  DownloadKind,
  DownloadLink,
  EventList,
  ExecBody,
  ExecResult,
  ExecStreamEvent,
  FileInfo,
  FileList,
  LogLine,
  PortList,
  ResourceEvent,
} from '@paddock/api';
import { SANDBOX_ROUTES } from '@paddock/api';
import { ErrorCode, PaddockError, type Sandbox } from '@paddock/core';
import type { Caller } from './call.ts';
import type { ResolvedOptions } from './client-options.ts';
import { openPortForward, type PortForward } from './port-forward.ts';
import { type ResourceClient, resourceClient, type ScopeOptions } from './resources.ts';
import { type SandboxProcesses, sandboxProcesses } from './sandbox-processes.ts';
import { SandboxWaits } from './sandbox-waits.ts';
import { openTerminal, type Terminal } from './terminal.ts';
import { type RequestOptions, send } from './transport.ts';
import { explainWith } from './websocket-connect.ts';

export type LogsOptions = ScopeOptions & { tailLines?: number; sinceTime?: string };

export type WaitForOptions = ScopeOptions & {
  /** Give up with `timeout` after this long; default 60 000. */
  timeoutMs?: number;
  /**
   * The sandbox as the caller holds it (its create's or update's answer): the wait starts from
   * it rather than reading it again where it can (concurrent waits on a namespace).
   */
  from?: Sandbox;
};

/** Files inside a sandbox, addressed by absolute path; contents travel as raw bytes. */
export type SandboxFiles = {
  /** The file's bytes, whole in memory: for small files (`readStream` for any size). */
  read(name: string, path: string, options?: ScopeOptions): Promise<Uint8Array>;
  /**
   * The file as a stream of `sizeBytes` bytes, at the pace it is read. Refusals (`not_found`,
   * `validation_failed`, `path_outside_sandbox`) reject the promise; a transfer cut midway
   * (the sandbox stopped, the connection lost) errors the stream. Read it to its end or cancel it.
   */
  readStream(
    name: string,
    path: string,
    options?: ScopeOptions,
  ): Promise<{ sizeBytes: number; stream: ReadableStream<Uint8Array> }>;
  /** Creates or truncates; strings are written as UTF-8; `mode` is octal text (`644`). */
  write(
    name: string,
    path: string,
    data: Uint8Array | string | ReadableStream<Uint8Array>,
    options?: ScopeOptions & { mode?: string },
  ): Promise<FileInfo>;
  remove(
    name: string,
    path: string,
    options?: ScopeOptions & { recursive?: boolean },
  ): Promise<void>;
  list(name: string, path: string, options?: ScopeOptions): Promise<FileList>;
  stat(name: string, path: string, options?: ScopeOptions): Promise<FileInfo>;
  mkdir(name: string, path: string, options?: ScopeOptions): Promise<FileInfo>;
  move(name: string, from: string, to: string, options?: ScopeOptions): Promise<FileInfo>;
  /** Extracts a tar archive into the directory `path`. */
  upload(
    name: string,
    path: string,
    tar: Uint8Array | ReadableStream<Uint8Array>,
    options?: ScopeOptions,
  ): Promise<void>;
  /** A tar archive of the file or directory at `path`. */
  download(name: string, path: string, options?: ScopeOptions): Promise<Uint8Array>;
  /**
   * A link that downloads the file (`kind: 'file'`, the default) or a tar archive of the file or
   * directory (`kind: 'archive'`) with no credential, for 60 seconds: hand it to a browser (an
   * `<a href>` navigation) to stream the download to disk. `url` is absolute, on this client's
   * base URL. The link is as good as the caller's access: it stops working once the caller's key
   * is revoked or the sandbox is no longer shared with them.
   */
  downloadLink(
    name: string,
    path: string,
    options?: ScopeOptions & { kind?: DownloadKind },
  ): Promise<DownloadLink>;
};

/** Sandbox CRUD plus lifecycle, exec, files, ports, logs, events and waiting. */
export type SandboxClient = ResourceClient<'Sandbox'> & {
  stop(name: string, options?: ScopeOptions): Promise<Sandbox>;
  start(name: string, options?: ScopeOptions): Promise<Sandbox>;
  /** Asks for `desiredState: Paused` (processes frozen, memory kept); `runtime_unavailable` where it cannot. */
  pause(name: string, options?: ScopeOptions): Promise<Sandbox>;
  /** Asks a paused sandbox to run again: its processes go on where they were. */
  resume(name: string, options?: ScopeOptions): Promise<Sandbox>;
  /** Runs a command to completion; a non-zero exit is a result, not an error. */
  exec(name: string, body: ExecBody, options?: ScopeOptions): Promise<ExecResult>;
  /** `started`, `stdout`/`stderr` chunks, then `exit` or `error`. Breaking out kills the process. */
  execStream(name: string, body: ExecBody, options?: ScopeOptions): AsyncIterable<ExecStreamEvent>;
  files: SandboxFiles;
  /** Background processes: started to run on, listed, followed, killed. */
  processes: SandboxProcesses;
  /**
   * The declared ports. Each http port has `previewUrl`: open it in a browser (it is signed for
   * this caller, on the preview origin, and expires after 5 minutes: ask again for a fresh one).
   */
  ports(name: string, options?: ScopeOptions): Promise<PortList>;
  /**
   * An interactive shell (PTY) in a Running sandbox; resolves once the session is open. Refusals
   * are the REST errors about the same sandbox (`unauthenticated`, `sandbox_not_found`,
   * `invalid_transition` when it is not Running).
   */
  terminal(
    name: string,
    options: ScopeOptions & { cols: number; rows: number; command?: readonly string[] },
  ): Promise<Terminal>;
  /**
   * One TCP connection to a port the sandbox's template declares. Refusals: as `terminal`, and
   * `not_found` for an undeclared port, `runtime_unavailable` when nothing listens on it.
   */
  portForward(name: string, port: number, options?: ScopeOptions): Promise<PortForward>;
  /** The main process's output as text, or with `follow: true` its lines as they come. */
  logs(name: string, options: LogsOptions & { follow: true }): AsyncIterable<LogLine>;
  logs(name: string, options?: LogsOptions & { follow?: false }): Promise<string>;
  /** The sandbox's events, or with `watch: true` new ones as they happen (until aborted). */
  events(name: string, options: ScopeOptions & { watch: true }): AsyncIterable<ResourceEvent>;
  events(name: string, options?: ScopeOptions & { watch?: false }): Promise<EventList>;
  /**
   * Resolves with the sandbox once `predicate` holds (checked now and on every change). Throws
   * `sandbox_not_found` if it is deleted meanwhile, `timeout` when `timeoutMs` passes.
   */
  waitFor(
    name: string,
    predicate: (sandbox: Sandbox) => boolean,
    options?: WaitForOptions,
  ): Promise<Sandbox>;
};

export function sandboxClient(
  caller: Caller,
  defaultNamespace: string,
  resolved: ResolvedOptions,
): SandboxClient {
  const crud = resourceClient(caller, 'Sandbox', defaultNamespace);
  const waits = new SandboxWaits(crud, defaultNamespace);
  const params = (name: string, options: ScopeOptions | undefined) => ({
    namespace: options?.namespace ?? defaultNamespace,
    name,
  });
  const request = (options: RequestOptions | undefined): RequestOptions => ({
    ...(options?.signal && { signal: options.signal }),
    ...(options?.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options?.headers && { headers: options.headers }),
  });
  const at = (name: string, path: string, options: ScopeOptions | undefined) => ({
    ...request(options),
    params: params(name, options),
    query: { path },
  });

  const files: SandboxFiles = {
    read: (name, path, options) => caller.call('readSandboxFile', at(name, path, options)),
    readStream: async (name, path, options) => {
      const exchange = await send(resolved, SANDBOX_ROUTES.readFile, at(name, path, options));
      // The time limit covers the answer's start; the body takes as long as the file does.
      exchange.deadline.settle();
      const body = exchange.response.body ?? new ReadableStream<Uint8Array>();
      const failed = (error: unknown) =>
        options?.signal?.aborted
          ? options.signal.reason
          : new PaddockError(
              ErrorCode.RuntimeUnavailable,
              `reading ${path} of sandbox ${name} was cut short: ${error instanceof Error ? error.message : String(error)}`,
              { path },
              { cause: error },
            );
      const reader = body.getReader();
      const stream = new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            try {
              const next = await reader.read();
              if (next.done) controller.close();
              else controller.enqueue(next.value);
            } catch (error) {
              controller.error(failed(error));
            }
          },
          cancel: (reason) => reader.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      return {
        sizeBytes: Number(exchange.response.headers.get('content-length') ?? 0),
        stream,
      };
    },
    write: (name, path, data, options) =>
      caller.call('writeSandboxFile', {
        ...request(options),
        params: params(name, options),
        query: { path, ...(options?.mode !== undefined && { mode: options.mode }) },
        body: typeof data === 'string' ? new TextEncoder().encode(data) : data,
      }),
    remove: (name, path, options) =>
      caller.call('deleteSandboxFile', {
        ...request(options),
        params: params(name, options),
        query: { path, ...(options?.recursive !== undefined && { recursive: options.recursive }) },
      }),
    list: (name, path, options) => caller.call('listSandboxFiles', at(name, path, options)),
    stat: (name, path, options) => caller.call('statSandboxFile', at(name, path, options)),
    mkdir: (name, path, options) =>
      caller.call('makeSandboxDirectory', {
        ...request(options),
        params: params(name, options),
        body: { path },
      }),
    move: (name, from, to, options) =>
      caller.call('moveSandboxFile', {
        ...request(options),
        params: params(name, options),
        body: { from, to },
      }),
    upload: (name, path, tar, options) =>
      caller.call('uploadSandboxArchive', { ...at(name, path, options), body: tar }),
    download: (name, path, options) =>
      caller.call('downloadSandboxArchive', at(name, path, options)),
    downloadLink: async (name, path, options) => {
      const link = await caller.call('createSandboxDownloadLink', {
        ...request(options),
        params: params(name, options),
        body: { path, ...(options?.kind !== undefined && { kind: options.kind }) },
      });
      // The server answers a path on its origin; the client's base URL may carry a prefix.
      const relative = new URL(link.url, 'http://origin.invalid');
      const url = new URL(resolved.baseUrl);
      url.pathname = url.pathname.replace(/\/+$/, '') + relative.pathname;
      url.search = relative.search;
      return { ...link, url: url.toString() };
    },
  };

  function logs(name: string, options: LogsOptions & { follow: true }): AsyncIterable<LogLine>;
  function logs(name: string, options?: LogsOptions & { follow?: false }): Promise<string>;
  function logs(name: string, options?: LogsOptions & { follow?: boolean }) {
    const query = {
      ...(options?.tailLines !== undefined && { tailLines: options.tailLines }),
      ...(options?.sinceTime !== undefined && { sinceTime: options.sinceTime }),
    };
    const input = { ...request(options), params: params(name, options) };
    return options?.follow
      ? caller.stream('getSandboxLogs', { ...input, query: { ...query, follow: true } })
      : caller.call('getSandboxLogs', { ...input, query });
  }

  function events(
    name: string,
    options: ScopeOptions & { watch: true },
  ): AsyncIterable<ResourceEvent>;
  function events(name: string, options?: ScopeOptions & { watch?: false }): Promise<EventList>;
  function events(name: string, options?: ScopeOptions & { watch?: boolean }) {
    const input = { ...request(options), params: params(name, options) };
    return options?.watch
      ? caller.stream('listSandboxEvents', { ...input, query: { watch: true } })
      : caller.call('listSandboxEvents', input);
  }

  async function waitFor(
    name: string,
    predicate: (sandbox: Sandbox) => boolean,
    options?: WaitForOptions,
  ): Promise<Sandbox> {
    const timeoutMs = options?.timeoutMs ?? 60_000;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), timeoutMs);
    const signal = options?.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal;
    const timedOut = () =>
      new PaddockError(
        ErrorCode.Timeout,
        `sandbox "${name}" did not reach the awaited state within ${timeoutMs} ms`,
        { timeoutMs },
      );
    try {
      return await waits.wait(name, predicate, {
        ...(options?.namespace !== undefined && { namespace: options.namespace }),
        ...(options?.headers !== undefined && { headers: options.headers }),
        signal,
        from: options?.from,
      });
    } catch (error) {
      options?.signal?.throwIfAborted();
      throw stop.signal.aborted ? timedOut() : error;
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
  }

  /** The REST view of why an upgrade about a sandbox was refused (the socket cannot tell). */
  const explainRefusal = (name: string, options: ScopeOptions | undefined, port?: number) => () =>
    explainWith(
      async () => {
        const scope = { ...(options?.namespace !== undefined && { namespace: options.namespace }) };
        const sandbox = await crud.get(name, scope);
        const phase = sandbox.status?.phase ?? 'Pending';
        if (phase !== 'Running') {
          return new PaddockError(
            ErrorCode.InvalidTransition,
            `sandbox ${name} is ${phase}, not Running`,
            { phase },
          );
        }
        const declared = (sandbox.status?.resolved?.ports ?? []).map((p) => p.port);
        if (port !== undefined && !declared.includes(port)) {
          return new PaddockError(
            ErrorCode.NotFound,
            `port ${port} is not a port of sandbox ${name}; its template declares ${declared.join(', ') || 'none'}`,
            { port, ports: declared },
          );
        }
        return undefined;
      },
      port === undefined
        ? `the server refused the terminal of sandbox ${name}`
        : `nothing accepted the connection to port ${port} of sandbox ${name}`,
    );
  const wsPath = (kind: string, name: string, options: ScopeOptions | undefined) =>
    `/ws/${kind}/${encodeURIComponent(options?.namespace ?? defaultNamespace)}/${encodeURIComponent(name)}`;

  return {
    ...crud,
    stop: (name, options) =>
      caller.call('stopSandbox', { ...request(options), params: params(name, options) }),
    start: (name, options) =>
      caller.call('startSandbox', { ...request(options), params: params(name, options) }),
    pause: (name, options) =>
      caller.call('pauseSandbox', { ...request(options), params: params(name, options) }),
    resume: (name, options) =>
      caller.call('resumeSandbox', { ...request(options), params: params(name, options) }),
    exec: (name, body, options) =>
      caller.call('execSandbox', { ...request(options), params: params(name, options), body }),
    execStream: (name, body, options) =>
      caller.stream('execSandboxStream', {
        ...request(options),
        params: params(name, options),
        body,
      }),
    files,
    processes: sandboxProcesses(caller, params, request),
    ports: (name, options) =>
      caller.call('listSandboxPorts', { ...request(options), params: params(name, options) }),
    logs,
    events,
    waitFor,
    terminal: (name, options) =>
      openTerminal(resolved, {
        path: wsPath('terminal', name, options),
        size: { cols: options.cols, rows: options.rows },
        ...(options.command === undefined ? {} : { command: options.command }),
        explain: explainRefusal(name, options),
      }),
    portForward: (name, port, options) =>
      openPortForward(
        resolved,
        `${wsPath('port-forward', name, options)}/${port}`,
        explainRefusal(name, options, port),
      ),
  };
}
