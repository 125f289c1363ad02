import type { z } from 'zod';
import { readLines } from './line-reader.ts';
import { parseJson, validateResponse } from './response-validation.ts';

/**
 * The values of an `application/x-ndjson` body, one per non-empty line, each validated by
 * `schema`. Breaking out of the loop closes the connection (the server stops the process).
 */
export async function* readNdjson<S extends z.ZodType>(
  body: ReadableStream<Uint8Array>,
  schema: S,
  operationId: string,
): AsyncGenerator<z.output<S>> {
  for await (const line of readLines(body)) {
    if (line.trim() === '') continue;
    yield validateResponse(schema, parseJson(line, operationId), operationId);
  }
}
