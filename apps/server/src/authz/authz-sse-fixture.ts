// Test support: a server-sent event stream read in the background, as a caller.

import { parseSse } from '@paddock/client';
import { eventually } from '@paddock/testkit';
import type { AuthzWorld, JsonValue, Role } from './authz-fixtures.ts';

export type SseStream = {
  status: number;
  /** The error code of a refused request. */
  code: string | undefined;
  /** The `data` of every event so far, parsed. */
  events: JsonValue[];
  /** Resolves with the first event `match` accepts. */
  waitFor(match: (event: JsonValue) => boolean, what: string): Promise<JsonValue>;
  close(): void;
};

/** Opens `path` as `role`; a refused request is returned with its status and no events. */
export async function openSse(fx: AuthzWorld, role: Role, path: string): Promise<SseStream> {
  const abort = new AbortController();
  const token = fx.tokenOf(role);
  const res = await fetch(`${fx.w.s.url}${path}`, {
    signal: abort.signal,
    headers: {
      accept: 'text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
  });
  const events: JsonValue[] = [];
  const stream: SseStream = {
    status: res.status,
    code: undefined,
    events,
    waitFor: (match, what) =>
      eventually(() => events.find(match), { what: `${what} on ${path} as ${role}` }),
    close: () => abort.abort(),
  };
  const isSse = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  if (!res.ok || !isSse || res.body === null) {
    const text = await res.text();
    stream.code = text.startsWith('{') ? JSON.parse(text).error?.code : undefined;
    return stream;
  }
  const body = res.body;
  void (async () => {
    try {
      for await (const message of parseSse(body)) events.push(JSON.parse(message.data));
    } catch {
      // Aborted by `close`.
    }
  })();
  return stream;
}
