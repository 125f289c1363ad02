import { API_VERSION, KINDS, type Kind, parseLabelSelector, WatchEventType } from '@paddock/core';
import { z } from 'zod';

/** A query-string boolean: `true`/`1` and `false`/`0` (a bare `?watch` arrives as `''` = true). */
export const QueryBoolean = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((value) => value === 'true' || value === '1' || value === '');

/** Kubernetes label selector text (`app=web,tier!=db,env in (a,b),!legacy`), checked at the edge. */
export const LabelSelectorQuery = z.string().superRefine((text, ctx) => {
  try {
    parseLabelSelector(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid' });
  }
});

/**
 * Kubernetes field selector text, of which one field is served: `metadata.name=<name>` (or `==`),
 * parsed to the name. A wait for one object watches it alone, not every object of its kind.
 */
export const FieldSelectorQuery = z.string().transform((text, ctx) => {
  const name = /^\s*metadata\.name\s*==?\s*([^\s,=!]+)\s*$/.exec(text)?.[1];
  if (name !== undefined) return { name };
  ctx.addIssue({
    code: 'custom',
    message: `"${text}" is not served: the one field selector is metadata.name=<name>`,
  });
  return z.NEVER;
});

/**
 * Query of every list route. `limit` is a page size (1–1000); `continue` is the opaque token of
 * the previous page. `watch=true` turns the response into a server-sent event stream of
 * `WatchEvent`s (each event's `id` is the object's resourceVersion; reconnect with
 * `Last-Event-ID`, or start from `resourceVersion`). `fieldSelector=metadata.name=<name>` lists or
 * watches that object only.
 */
export const ListQuery = z.strictObject({
  labelSelector: LabelSelectorQuery.optional(),
  fieldSelector: FieldSelectorQuery.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().min(1).optional(),
  watch: QueryBoolean.optional(),
  resourceVersion: z.string().min(1).optional(),
});
export type ListQuery = z.output<typeof ListQuery>;

export const ListMeta = z.object({
  /** The store's version at the time of the list: watch from here to see every later change. */
  resourceVersion: z.string(),
  /** Present when more items remain: pass it back as `?continue=`. */
  continue: z.string().optional(),
});

/** `{apiVersion, kind: '<Item>List', metadata: {resourceVersion, continue?}, items}`. */
export function listOf<const K extends string, S extends z.ZodType>(itemKind: K, item: S) {
  return z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(`${itemKind}List`),
    metadata: ListMeta,
    items: z.array(item),
  });
}

/** The list schema of a kind: `SandboxList` and so on. */
export function kindListSchema<K extends Kind>(kind: K) {
  return listOf(kind, KINDS[kind].schema);
}

const watchTypes = Object.values(WatchEventType) as [WatchEventType, ...WatchEventType[]];

/** One event of a `watch=true` stream (the `data` of a server-sent event). */
export function watchEventOf<S extends z.ZodType>(object: S) {
  return z.object({ type: z.enum(watchTypes), object });
}

/** Answer to a delete: `terminating` when finalizers keep the object until they are removed. */
export function deleteResultOf<S extends z.ZodType>(object: S) {
  return z.object({ status: z.enum(['deleted', 'terminating']), object });
}

/** Query of `DELETE` and `PUT` on one object: optional optimistic-concurrency precondition. */
export const DeleteQuery = z.strictObject({ resourceVersion: z.string().min(1).optional() });
