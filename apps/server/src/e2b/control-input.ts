// What E2B's control API handlers share for their input: a JSON body read against its schema,
// the error of a field Paddock cannot honour, and a time `timeout` seconds from now.
import { ErrorCode, PaddockError, parseInput } from '@paddock/core';
import type { z } from 'zod';
import { parseJsonBody, readBody } from '../http/body.ts';
import type { ControlCall } from './e2b-call.ts';

export async function readBodyAs<S extends z.ZodType>(call: ControlCall, schema: S, what: string) {
  const bytes = await readBody(call.req, call.deps.config.maxBodyBytes);
  const input = bytes.length === 0 ? {} : parseJsonBody(bytes);
  return parseInput(schema, input, what);
}

export function unsupported(field: string, why: string): PaddockError {
  return new PaddockError(
    ErrorCode.ValidationFailed,
    `${field} is not supported by Paddock: ${why}`,
    {
      issues: [{ path: field, message: why }],
    },
  );
}

/** The time `seconds` from now (E2B timeouts are in seconds). */
export const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
