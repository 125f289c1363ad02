/** One server-sent event: its `event` name (when given), its joined `data` lines, its raw text. */
export type SseEvent = { event: string | undefined; data: string; raw: string };

/** Past this many bytes without an event boundary, the stream is not SSE: parsing stops. */
const MAX_PENDING_CHARS = 1 << 20;

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/;

/**
 * An incremental server-sent events parser: feed it chunks as they arrive, get back the events
 * they completed. `raw` is the event's exact text including the blank line that ends it, so a
 * caller can re-emit kept events byte for byte. After more than 1 MiB without a boundary it
 * gives up (`isBroken`) and returns the text it held as `leftover` of the next `push`.
 */
export class SseParser {
  readonly #decoder = new TextDecoder();
  #pending = '';
  #isBroken = false;

  get isBroken(): boolean {
    return this.#isBroken;
  }

  /** Complete events in `chunk` (with what came before); `leftover` is text given up on. */
  push(chunk: Uint8Array): { events: SseEvent[]; leftover: string } {
    if (this.#isBroken)
      return { events: [], leftover: this.#decoder.decode(chunk, { stream: true }) };
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    for (;;) {
      const match = BOUNDARY.exec(this.#pending);
      if (match === null) break;
      const end = match.index + match[0].length;
      events.push(parseEvent(this.#pending.slice(0, match.index), this.#pending.slice(0, end)));
      this.#pending = this.#pending.slice(end);
    }
    if (this.#pending.length > MAX_PENDING_CHARS) {
      this.#isBroken = true;
      const leftover = this.#pending;
      this.#pending = '';
      return { events, leftover };
    }
    return { events, leftover: '' };
  }

  /** Text after the last complete event, when the stream ended (normally empty). */
  end(): string {
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = '';
    return rest;
  }
}

function parseEvent(block: string, raw: string): SseEvent {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { event, data: data.join('\n'), raw };
}
