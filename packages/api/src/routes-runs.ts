import { Run, TranscriptEvent } from '@paddock/core';
import { z } from 'zod';
import { type AnyRoute, defineRoute, json, sse } from './route.ts';
import { itemPath, NamespacedNameParams } from './routes-resources.ts';

const base = itemPath('Run');
const params = NamespacedNameParams;
const tags = ['Run'] as const;
const auth = 'required' as const;

/** A transcript event as the run's log stored it: numbered from 1. */
export const StoredTranscriptEvent = z.intersection(
  TranscriptEvent,
  z.object({ seq: z.int().positive() }),
);

export const RunEventsQuery = z.strictObject({
  /** Only events after this `seq` (0: from the start). With `watch`, `Last-Event-ID` wins. */
  afterSeq: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  /** Stream stored events, then new ones as SSE, until the run has finished and all are sent. */
  watch: z.enum(['true', 'false']).optional(),
});
export type RunEventsQuery = z.output<typeof RunEventsQuery>;

export const RunEventList = z.strictObject({
  items: z.array(StoredTranscriptEvent),
  /** The run's phase when the page was read: no more events follow a terminal one. */
  phase: z.string(),
});
export type RunEventList = z.output<typeof RunEventList>;

export const RunMessageBody = z.strictObject({
  text: z.string().min(1, 'must not be empty').max(1_000_000),
});
export type RunMessageBody = z.output<typeof RunMessageBody>;

export const RunMessageAccepted = z.strictObject({ accepted: z.literal(true), id: z.string() });

/**
 * Subresources of a run: its transcript (a JSON page, or with `watch=true` SSE resumable with
 * `Last-Event-ID`, whose ids are event `seq`s), messages for an interactive run, and cancel.
 */
export const RUN_ROUTES = {
  events: defineRoute({
    operationId: 'listRunEvents',
    method: 'GET',
    path: `${base}/events`,
    summary: "Read a run's transcript; watch=true streams it as SSE (ids are seq numbers)",
    tags,
    auth,
    params,
    query: RunEventsQuery,
    responses: [
      {
        status: 200,
        description: 'A RunEventList, or with watch=true a text/event-stream of transcript events',
        content: [json(RunEventList), sse(StoredTranscriptEvent)],
      },
    ],
  }),
  message: defineRoute({
    operationId: 'sendRunMessage',
    method: 'POST',
    path: `${base}/messages`,
    summary: 'Send a user message to an interactive run',
    tags,
    auth,
    params,
    body: json(RunMessageBody),
    responses: [
      { status: 202, description: 'Delivered to the harness', content: [json(RunMessageAccepted)] },
    ],
  }),
  end: defineRoute({
    operationId: 'endRunInput',
    method: 'POST',
    path: `${base}/end`,
    summary: "End an interactive run's input: the harness finishes its turn and the run succeeds",
    tags,
    auth,
    params,
    responses: [
      { status: 202, description: 'Delivered to the harness', content: [json(RunMessageAccepted)] },
    ],
  }),
  cancel: defineRoute({
    operationId: 'cancelRun',
    method: 'POST',
    path: `${base}/cancel`,
    summary: 'Cancel a run: it ends Cancelled and its harness is stopped',
    tags,
    auth,
    params,
    responses: [{ status: 200, description: 'The run', content: [json(Run)] }],
  }),
} as const;

export const runRouteList: readonly AnyRoute[] = Object.values(RUN_ROUTES);
