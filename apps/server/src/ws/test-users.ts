// Test support: a real server with auth required, an admin and two users (alice, bob), and
// sandboxes owned by them on the real runtime.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eventually } from '@paddock/testkit';
import { WebSocket } from 'ws';
import { bootstrapAdminKey } from '../bootstrap-key.ts';
import type { ServerFlags } from '../config.ts';
import { createRunningSandbox, startTestServer, type TestServer } from '../test-server.ts';

export type AuthWorld = {
  s: TestServer;
  admin: string;
  alice: string;
  bob: string;
  /** Creates a sandbox as `token` from a ClusterSandboxTemplate or a namespaced template; waits for Running. */
  createSandbox(name: string, token: string, template: TemplateRef): Promise<void>;
};

export type TemplateRef = { kind: 'ClusterSandboxTemplate' | 'SandboxTemplate'; name: string };

/**
 * A sandbox name unique to this run: cgroups are named by namespace and sandbox name on the
 * host, so two test runs at once must not pick the same names.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function startAuthWorld(flags: ServerFlags = {}): Promise<AuthWorld> {
  const s = await startTestServer({ auth: 'required', ...flags });
  const boot = await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date());
  const admin = boot?.key ?? '';
  const keyFor = async (owner: string) => {
    const res = await s.call('/api/v1/apikeys', {
      method: 'POST',
      token: admin,
      body: JSON.stringify({ name: owner, owner, role: 'user' }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { key: string }).key;
  };
  const world: AuthWorld = {
    s,
    admin,
    alice: await keyFor('alice'),
    bob: await keyFor('bob'),
    createSandbox: (name, token, template) => createRunningSandbox(s, name, { token, template }),
  };
  return world;
}

/** A WebSocket client that collects terminal output and control messages. */
export type TestSocket = {
  ws: WebSocket;
  /** Everything received as binary frames, as text. */
  output(): string;
  messages: Array<Record<string, unknown>>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  waitForMessage(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  send(text: string): void;
};

export function openSocket(url: string, options: { token?: string; protocols?: string[] } = {}) {
  const ws = new WebSocket(url, options.protocols ?? [], {
    ...(options.token === undefined
      ? {}
      : { headers: { authorization: `Bearer ${options.token}` } }),
  });
  let text = '';
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (isBinary) text += bytes.toString('utf8');
    else {
      const text = bytes.toString('utf8');
      try {
        messages.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        messages.push({ type: 'text', text });
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  // A refused handshake: its status and error envelope.
  const refused = new Promise<{ status: number; code: string; text: string }>((resolve) => {
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => {
        req.destroy();
        const code = (JSON.parse(body || '{}') as { error?: { code?: string } }).error?.code;
        resolve({ status: res.statusCode ?? 0, code: code ?? '', text: body });
      });
    });
    ws.on('error', (error) => resolve({ status: -1, code: '', text: error.message }));
  });
  const socket: TestSocket = {
    ws,
    output: () => text,
    messages,
    closed,
    send: (data) => ws.send(Buffer.from(data), { binary: true }),
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      eventually(
        () => {
          assert.match(text, pattern, `not in terminal output ${JSON.stringify(text.slice(-300))}`);
          return text;
        },
        { timeoutMs, what: `${pattern} in the terminal output` },
      ),
    waitForMessage: (type, timeoutMs = 15_000) =>
      eventually(() => messages.find((m) => m.type === type), {
        timeoutMs,
        what: `a ${type} message`,
      }),
  };
  // Rejects when the handshake is refused, so a refusal fails a test instead of hanging it.
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    void refused.then((r) => reject(new Error(`handshake refused: ${r.status} ${r.text}`)));
  });
  opened.catch(() => {});
  return { socket, opened, refused };
}
