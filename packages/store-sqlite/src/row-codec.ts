import {
  type AnyResource,
  ErrorCode,
  fieldIssues,
  KINDS,
  type Kind,
  Labels,
  PaddockError,
  type ResourceOf,
  WatchEventType,
} from '@paddock/core';
import { z } from 'zod';
import { describeKey, type RowKey } from './object-key.ts';

/** A row of `objects`, as SQLite returns it. */
export const ObjectRow = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  resource_version: z.int(),
  json: z.string(),
});

/** A row of `changes`, as SQLite returns it. */
export const ChangeRow = z.object({
  rv: z.int(),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  type: z.enum([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted]),
  json: z.string(),
  prev_labels: z.string().nullable(),
});
export type ChangeRow = z.infer<typeof ChangeRow>;

/** The `store_state` row: the newest version written and the newest version pruned from `changes`. */
export const StateRow = z.object({
  resource_version: z.int().nonnegative(),
  compacted_version: z.int().nonnegative(),
});
export type StateRow = z.infer<typeof StateRow>;

function corrupt(what: string, problem: string): PaddockError {
  return new PaddockError(ErrorCode.Internal, `stored ${what} is corrupt: ${problem}`, {
    object: what,
  });
}

/** Validates a raw row against its zod schema; a mismatch is `internal`, naming `what`. */
export function parseRow<S extends z.ZodType>(schema: S, row: unknown, what: string): z.output<S> {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  throw corrupt(
    what,
    fieldIssues(result.error)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; '),
  );
}

/**
 * Decodes and validates the JSON of one stored object with its kind's schema. A row that no longer
 * parses (hand-edited, written by a buggy or newer version) is an `internal` error naming the
 * object, never a crash or an unchecked value.
 */
export function decodeObject<K extends Kind>(
  key: RowKey & { kind: K },
  json: string,
): ResourceOf<K> {
  const what = describeKey(key);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw corrupt(what, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const result = KINDS[key.kind].schema.safeParse(value);
  if (!result.success) {
    const issues = fieldIssues(result.error).map((i) => `${i.path}: ${i.message}`);
    throw corrupt(what, issues.join('; '));
  }
  const { kind, metadata } = result.data;
  if (
    kind !== key.kind ||
    metadata.name !== key.name ||
    (metadata.namespace ?? '') !== key.namespace
  ) {
    throw corrupt(
      what,
      `its JSON describes ${kind} ${metadata.namespace ?? ''}/${metadata.name ?? ''}`,
    );
  }
  // The schema of KINDS[K] parses to ResourceOf<K>; TypeScript cannot narrow the indexed union.
  return result.data as ResourceOf<K>;
}

/** Decodes the `prev_labels` column of a change (labels before a MODIFIED). */
export function decodeLabels(
  json: string | null,
  what: string,
): Record<string, string> | undefined {
  if (json === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw corrupt(what, 'prev_labels is not JSON');
  }
  return parseRow(Labels, value, `${what} (prev_labels)`);
}

/** Serializes an object for the `json` columns. */
export function encodeObject(object: AnyResource): string {
  return JSON.stringify(object);
}
