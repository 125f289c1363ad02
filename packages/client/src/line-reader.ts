/**
 * The lines of a UTF-8 byte stream, without their terminators (`\n`, `\r\n` or `\r`, as
 * server-sent events allow). A last line without a terminator is yielded too. Returning early
 * cancels the stream, which closes the connection.
 */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let isDone = false;
  try {
    while (!isDone) {
      const chunk = await reader.read();
      isDone = chunk.done;
      buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== '\n' && char !== '\r') continue;
        // A '\r' at the end of the buffer may be the first half of a '\r\n' split across chunks.
        if (char === '\r' && i === buffer.length - 1 && !isDone) break;
        yield buffer.slice(start, i);
        if (char === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    }
    if (buffer !== '') yield buffer;
  } finally {
    await reader.cancel().catch(() => {});
  }
}
