import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSse, type SseMessage } from './sse.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function parse(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const message of parseSse(streamOf(chunks))) out.push(message);
  return out;
}

describe('parseSse', () => {
  it('joins data lines, keeps the last id, skips comments and dataless events', async () => {
    const messages = await parse([
      ': hello\n',
      'event: ping\n\n',
      'id: 1\ndata: a\ndata:b\n\n',
      'event: custom\ndata: c\n\n',
    ]);
    assert.deepEqual(messages, [
      { event: 'message', data: 'a\nb', id: '1', retryMs: undefined },
      { event: 'custom', data: 'c', id: '1', retryMs: undefined },
    ]);
  });

  it('handles CR, CRLF split across chunks, multibyte text split across chunks and retry', async () => {
    const bytes = new TextEncoder().encode('data: é\r\n\r\n');
    const messages: SseMessage[] = [];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('retry: 250\rid: 7\r'));
        controller.enqueue(new TextEncoder().encode('\ndata: x\r'));
        controller.enqueue(new TextEncoder().encode('\r'));
        controller.enqueue(bytes.slice(0, 7)); // splits the two bytes of 'é'
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    for await (const message of parseSse(stream)) messages.push(message);
    assert.deepEqual(messages, [
      { event: 'message', data: 'x', id: '7', retryMs: 250 },
      { event: 'message', data: 'é', id: '7', retryMs: 250 },
    ]);
  });
});
