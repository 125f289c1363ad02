import { ForwardedPort, Timestamp } from '@paddock/core';
import { z } from 'zod';
import { ListMeta, QueryBoolean } from './list.ts';

/**
 * A forwarded port as the ports route answers it. http ports carry `previewUrl`: an absolute URL
 * on the preview origin (`http://{port}--{name}--{ns}.preview.localhost:{previewPort}/`, or the
 * path fallback `…/preview/{ns}/{name}/{port}/`) with a signed token that opens it for the caller,
 * valid for 5 minutes; `previewPath` is the port's path on the preview origin's path fallback.
 */
export const PortListItem = ForwardedPort.extend({ previewUrl: z.url().optional() });
export type PortListItem = z.infer<typeof PortListItem>;

/** Forwarded ports of a sandbox; http ports carry a signed preview URL. */
export const PortList = z.object({ items: z.array(PortListItem) });
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
