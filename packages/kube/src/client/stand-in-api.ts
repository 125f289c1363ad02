// Test support (not exported): a stand-in Kubernetes API server on the loopback interface (plain
// http, port 0) that answers each request with the next scripted answer, and a kubeconfig for it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeLoopbackKubeconfig } from '../testing/loopback-kubeconfig.ts';

export type Answer = (request: IncomingMessage, response: ServerResponse) => void;

export type StandInApi = {
  kubeconfig: string;
  /** Answers for the next requests, in order; `fallback` when none is left. */
  answers: Answer[];
  /** The answer once `answers` is empty (default 200 `{}`), e.g. `StandInObjects.answer`. */
  fallback?: Answer;
  /** `METHOD url authorization` of every request received. */
  seen: string[];
  close(): Promise<void>;
};

/** An answer with a Kubernetes `Status` body of `code`. */
export function status(code: number, headers: Record<string, string> = {}): Answer {
  return (_request, response) => {
    response.writeHead(code, { 'Content-Type': 'application/json', ...headers });
    response.end(
      JSON.stringify({ kind: 'Status', code, reason: 'StandIn', message: `HTTP ${code}` }),
    );
  };
}

/** A 200 answer with `body` as JSON. */
export function json(body: unknown): Answer {
  return (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
  };
}

/** A watch stream of `events`; it ends after them unless `keepOpen`. */
export function stream(events: unknown[], keepOpen = false): Answer {
  return (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    for (const event of events) response.write(`${JSON.stringify(event)}\n`);
    if (!keepOpen) response.end();
  };
}

export async function startStandInApi(): Promise<StandInApi> {
  const api: StandInApi = { kubeconfig: '', answers: [], seen: [], close: async () => {} };
  const server = createServer((request, response) => {
    api.seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    (api.answers.shift() ?? api.fallback ?? json({}))(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { kubeconfig, remove } = writeLoopbackKubeconfig(port, 'stand-in-token', 'stand-in');
  api.kubeconfig = kubeconfig;
  api.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    remove();
  };
  return api;
}
