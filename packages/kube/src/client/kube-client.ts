import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, type AgentOptions, request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, PaddockError } from '@paddock/core';
import { kubeError } from './errors.ts';
import { TokenBucket } from './token-bucket.ts';

/** How to reach the API server and how hard to press it. */
export type KubeClientOptions = {
  /** Requests per second sustained (default 50) and the burst above it (default 100), per client. */
  qps?: number;
  burst?: number;
  /** Attempts for a request answered 429 or 5xx, or whose connection failed (default 8). */
  attempts?: number;
  /** First backoff delay; each retry doubles it, with jitter, up to 5 s (default 50 ms). */
  backoffMs?: number;
  /** Sent as User-Agent (default `paddock`). */
  userAgent?: string;
};

export type RequestInit = {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default `application/json`; patches name theirs (`application/merge-patch+json`, …). */
  contentType?: string;
  /** `text`: the answer's body as is (a pod's log), not parsed as JSON. Default `json`. */
  responseType?: 'json' | 'text';
  signal?: AbortSignal;
};

/** One attempt of a request, as `KubeClient.onRequest` is told of it. */
export type ApiRequest = { method: string; path: string; status: number; watch?: boolean };

/** One event of a watch stream as the API server sends it (ERROR carries a `Status`). */
export type RawWatchEvent = {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
};

/**
 * What a client has sent: every HTTP request (retries included) by verb, a watch counted once per
 * stream it opens (`WATCH`), and how many of them were retries.
 */
export type KubeClientStats = {
  requests: number;
  retries: number;
  byVerb: Record<string, number>;
};

/** What a WebSocket upgrade needs to authenticate as the client's requests do. */
export type UpgradeOptions = {
  /** `wss://…` (`ws://…` for a plain-http stand-in), with the query. */
  url: string;
  /** Authorization (and impersonation) headers and User-Agent. */
  headers: Record<string, string>;
  /** CA, client certificate and key, server name: those of every request. */
  tls: AgentOptions;
};

const RETRIED = new Set([429, 500, 502, 503, 504]);

/**
 * The one door to a Kubernetes API server: authentication from a kubeconfig or the pod's service
 * account (through `@kubernetes/client-node`'s `KubeConfig`), a keep-alive connection pool, a
 * client-side rate limit, retries with backoff for 429 (honouring Retry-After) and 5xx, and every
 * error answer translated into a `PaddockError` here and nowhere else.
 */
export class KubeClient {
  readonly server: string;
  readonly #config: KubeConfig;
  readonly #agent: Agent | HttpAgent;
  readonly #tls: AgentOptions;
  readonly #isPlainHttp: boolean;
  readonly #stats: KubeClientStats = { requests: 0, retries: 0, byVerb: {} };
  readonly #limit: TokenBucket;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #userAgent: string;
  #headers: { value: Record<string, string>; until: number } | undefined;

  private constructor(config: KubeConfig, tls: AgentOptions, options: KubeClientOptions) {
    const cluster = config.getCurrentCluster();
    if (cluster === null) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'kubeconfig: no current cluster', {
        issues: [{ path: 'current-context', message: 'names no cluster' }],
      });
    }
    this.server = cluster.server.replace(/\/+$/, '');
    this.#config = config;
    this.#tls = tls;
    // Plain http only for a stand-in on the loopback interface in tests; clusters speak https.
    this.#isPlainHttp = this.server.startsWith('http:');
    this.#agent = this.#isPlainHttp
      ? new HttpAgent({ keepAlive: true, maxSockets: 64 })
      : new Agent({ ...tls, keepAlive: true, maxSockets: 64 });
    this.#limit = new TokenBucket(options.qps ?? 50, options.burst ?? 100);
    this.#attempts = options.attempts ?? 8;
    this.#backoffMs = options.backoffMs ?? 50;
    this.#userAgent = options.userAgent ?? 'paddock';
  }

  /** A client for the current context of the kubeconfig at `path`. */
  static async fromKubeconfig(path: string, options: KubeClientOptions = {}): Promise<KubeClient> {
    const config = new KubeConfig();
    try {
      config.loadFromFile(path);
    } catch (error) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `kubeconfig ${path}: ${(error as Error).message}`,
        { issues: [{ path: 'kubeconfig', message: (error as Error).message }] },
      );
    }
    return KubeClient.#load(config, options);
  }

  /** A client with the pod's service account (`--in-cluster`). */
  static async inCluster(options: KubeClientOptions = {}): Promise<KubeClient> {
    const config = new KubeConfig();
    try {
      config.loadFromCluster();
    } catch (error) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `not running in a Kubernetes pod: ${(error as Error).message}`,
      );
    }
    return KubeClient.#load(config, options);
  }

  static async #load(config: KubeConfig, options: KubeClientOptions): Promise<KubeClient> {
    const opts: RequestOptions = {};
    await config.applyToHTTPSOptions(opts);
    const { ca, cert, key, rejectUnauthorized, servername } = opts;
    return new KubeClient(
      config,
      {
        ca,
        cert,
        key,
        servername,
        ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
      },
      options,
    );
  }

  /**
   * Told of every attempt's answer (status 0: none came), watches included: for metrics. Called
   * synchronously; it must not throw.
   */
  onRequest: ((report: ApiRequest) => void) | undefined;

  /**
   * Sends one request and returns its JSON answer. Retries 429 and 5xx answers and failed
   * connections; any other error answer is a `PaddockError` (see `kubeError`).
   */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    init: RequestInit = {},
  ): Promise<T> {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    for (let attempt = 1; ; attempt++) {
      await this.#limit.take(init.signal);
      this.#count(method, attempt);
      let response: { status: number; headers: IncomingMessage['headers']; text: string };
      try {
        response = await this.#send(method, path, init, body);
        this.onRequest?.({ method, path, status: response.status });
      } catch (error) {
        this.onRequest?.({ method, path, status: 0 });
        if (init.signal?.aborted || attempt >= this.#attempts) {
          throw new PaddockError(
            ErrorCode.RuntimeUnavailable,
            `Kubernetes API ${method} ${path}: ${(error as Error).message}`,
          );
        }
        await this.#backoff(attempt, undefined, init.signal);
        continue;
      }
      if (response.status < 300) {
        if (init.responseType === 'text') return response.text as T;
        return (response.text === '' ? {} : JSON.parse(response.text)) as T;
      }
      if (RETRIED.has(response.status) && attempt < this.#attempts) {
        await this.#backoff(attempt, response.headers['retry-after'], init.signal);
        continue;
      }
      throw kubeError(response.status, response.text, `${method} ${path}`);
    }
  }

  /**
   * Watches `path` (a collection) with `query` (`resourceVersion`, `labelSelector`, …), yielding
   * the server's events as they arrive until `signal` aborts or the server ends the stream. An
   * error answer before the stream starts is a `PaddockError`; 410 Gone is `expired`, whether it
   * comes as the answer or as an ERROR event.
   */
  async *watch(
    path: string,
    query: RequestInit['query'],
    signal: AbortSignal,
  ): AsyncGenerator<RawWatchEvent, void, undefined> {
    let response: IncomingMessage;
    for (let attempt = 1; ; attempt++) {
      await this.#limit.take(signal);
      this.#count('WATCH', attempt);
      try {
        response = await this.#open(
          'GET',
          path,
          { query: { ...query, watch: true, allowWatchBookmarks: true }, signal },
          undefined,
        );
      } catch (error) {
        if (signal.aborted) return;
        this.onRequest?.({ method: 'GET', path, status: 0, watch: true });
        if (attempt >= this.#attempts) {
          throw new PaddockError(
            ErrorCode.RuntimeUnavailable,
            `Kubernetes API watch ${path}: ${(error as Error).message}`,
          );
        }
        await this.#backoff(attempt, undefined, signal);
        continue;
      }
      const status = response.statusCode ?? 0;
      this.onRequest?.({ method: 'GET', path, status, watch: true });
      if (status < 300) break;
      const text = await readAll(response);
      if (RETRIED.has(status) && attempt < this.#attempts) {
        await this.#backoff(attempt, response.headers['retry-after'], signal);
        continue;
      }
      throw kubeError(status, text, `watch ${path}`);
    }
    const stop = () => response.destroy();
    signal.addEventListener('abort', stop, { once: true });
    try {
      // Lines are split here rather than by readline, whose iterator never ends when the
      // response is destroyed (an abort) instead of ending.
      let pending = '';
      for await (const chunk of response as AsyncIterable<Buffer>) {
        pending += chunk.toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
          if (line === '') continue;
          const event = JSON.parse(line) as RawWatchEvent;
          if (event.type === 'ERROR') {
            const code = Number(event.object.code ?? 500);
            throw kubeError(code, JSON.stringify(event.object), `watch ${path}`);
          }
          yield event;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof PaddockError) throw error;
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `Kubernetes API watch ${path}: ${(error as Error).message}`,
      );
    } finally {
      signal.removeEventListener('abort', stop);
      response.destroy();
    }
  }

  /**
   * What a WebSocket upgrade of `path` (pods/exec, pods/portforward) needs to authenticate exactly
   * as `request` does. Takes a token of the rate limit; counted as a `CONNECT`.
   */
  async upgradeOptions(path: string, query: URLSearchParams): Promise<UpgradeOptions> {
    await this.#limit.take(undefined);
    this.#count('CONNECT', 1);
    const url = new URL(this.server + path);
    url.search = query.toString();
    url.protocol = this.#isPlainHttp ? 'ws:' : 'wss:';
    const headers = { ...(await this.#authHeaders()), 'User-Agent': this.#userAgent };
    return { url: url.toString(), headers, tls: { ...this.#tls } };
  }

  /** Counts of what this client has sent so far (a copy). */
  get stats(): KubeClientStats {
    return { ...this.#stats, byVerb: { ...this.#stats.byVerb } };
  }

  /** Closes the idle connections; requests in flight finish. */
  close(): void {
    this.#agent.destroy();
  }

  async #send(
    method: string,
    path: string,
    init: RequestInit,
    body: string | undefined,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
    const response = await this.#open(method, path, init, body);
    return {
      status: response.statusCode ?? 0,
      headers: response.headers,
      text: await readAll(response),
    };
  }

  async #open(
    method: string,
    path: string,
    init: RequestInit,
    body: string | undefined,
  ): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      ...(await this.#authHeaders()),
      Accept: init.responseType === 'text' ? 'text/plain, application/json' : 'application/json',
      'User-Agent': this.#userAgent,
    };
    if (body !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const send = this.#isPlainHttp ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.#agent, signal: init.signal });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(body);
    });
  }

  /** The Authorization (and impersonation) headers, re-read every 10 s: tokens rotate. */
  async #authHeaders(): Promise<Record<string, string>> {
    const now = Date.now();
    if (this.#headers !== undefined && this.#headers.until > now) return this.#headers.value;
    const opts: RequestOptions = { headers: {} };
    await this.#config.applyToHTTPSOptions(opts);
    const value: Record<string, string> = {};
    for (const [name, header] of Object.entries(opts.headers ?? {})) {
      if (header !== undefined) value[name] = String(header);
    }
    if (typeof opts.auth === 'string') {
      value.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    }
    this.#headers = { value, until: now + 10_000 };
    return value;
  }

  #count(verb: string, attempt: number): void {
    this.#stats.requests++;
    if (attempt > 1) this.#stats.retries++;
    this.#stats.byVerb[verb] = (this.#stats.byVerb[verb] ?? 0) + 1;
  }

  async #backoff(
    attempt: number,
    retryAfter: string | string[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    const exponential = Math.min(5000, this.#backoffMs * 2 ** (attempt - 1));
    // Retry-After is in whole seconds; a CRD's first moment answers "1" for ~0.1 s of warming up,
    // so it caps the wait rather than setting it.
    const ms =
      Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, exponential) : exponential;
    await sleep(ms * (0.5 + Math.random() / 2), signal);
  }
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', reject);
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
