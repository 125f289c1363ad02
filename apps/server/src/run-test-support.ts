// Test support for runs: waiting for a run's outcome, reading its transcript, and what the model
// was told of its last tool call.
import assert from 'node:assert/strict';
import { eventually, type RecordedRequest } from '@paddock/testkit';
import type { TestServer } from './test-server.ts';

// biome-ignore lint/suspicious/noExplicitAny: a Run as JSON, read field by field in assertions.
export type RunJson = any;
export type StoredEvent = { seq: number; type: string; [key: string]: unknown };

const ACTIVE = ['Pending', 'Starting', 'Running'];

/** The run once it has an outcome; a timeout names its last status. */
export async function finishedRun(
  server: TestServer,
  name: string,
  namespace = 'default',
  timeoutMs = 120_000,
): Promise<RunJson> {
  return eventually<RunJson>(
    async () => {
      const res = await server.call(`/api/v1/namespaces/${namespace}/runs/${name}`);
      const run: RunJson = await res.json();
      const phase = run.status?.phase as string | undefined;
      assert.ok(phase && !ACTIVE.includes(phase), `status ${JSON.stringify(run.status)}`);
      return run;
    },
    { timeoutMs, what: `run ${name} to finish` },
  );
}

/** The run's stored transcript (first page). */
export async function runTranscript(
  server: TestServer,
  name: string,
  namespace = 'default',
): Promise<StoredEvent[]> {
  const res = await server.call(`/api/v1/namespaces/${namespace}/runs/${name}/events`);
  if (res.status !== 200) throw new Error(`events of ${name}: HTTP ${res.status}`);
  return ((await res.json()) as { items: StoredEvent[] }).items;
}

/** The text of the tool results in the last message the model was sent (Anthropic shape). */
export function lastToolResult(request: RecordedRequest): string {
  const messages = (request.body as { messages: Array<{ content: unknown }> }).messages;
  const content = messages.at(-1)?.content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((block: { type?: string }) => block.type === 'tool_result')
    .map((block: { content?: unknown }) =>
      typeof block.content === 'string' ? block.content : JSON.stringify(block.content),
    )
    .join('\n');
}
