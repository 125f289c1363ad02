import { ForwardedPort, Timestamp } from '@paddock/core';
import { z } from 'zod';
import { ListMeta, QueryBoolean } from './list.ts';

/** Forwarded ports of a sandbox; http ports carry their authenticated preview path. */
export const PortList = z.object({ items: z.array(ForwardedPort) });
export type PortList = z.infer<typeof PortList>;

/**
 * Query of `logs` (the main process's stdout and stderr). Without `follow` the answer is
 * `text/plain`; with `follow=true` it is a server-sent event stream of `LogLine`s that stays
 * open until the process ends.
 */
export const LogsQuery = z.strictObject({
  follow: QueryBoolean.optional(),
  tailLines: z.coerce.number().int().min(0).max(100_000).optional(),
  sinceTime: Timestamp.optional(),
});

export const LogLine = z.object({
  stream: z.enum(['stdout', 'stderr']),
  text: z.string(),
  timestamp: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

/** An event about a resource (Kubernetes Event semantics): a timeline entry for people. */
export const ResourceEvent = z.object({
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
  uid: z.string().optional(),
  type: z.enum(['Normal', 'Warning']),
  /** Short CamelCase reason: `Admitted`, `ProvisionStep`, `Started`, `TimedOut`, … */
  reason: z.string(),
  message: z.string(),
  timestamp: z.string(),
});
export type ResourceEvent = z.infer<typeof ResourceEvent>;

export const EventList = z.object({
  kind: z.literal('EventList'),
  metadata: ListMeta,
  items: z.array(ResourceEvent),
});
export type EventList = z.infer<typeof EventList>;

/** Query of `events`: `watch=true` streams new events as server-sent events. */
export const EventsQuery = z.strictObject({
  watch: QueryBoolean.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().min(1).optional(),
});
