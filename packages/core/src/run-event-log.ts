/**
 * The RunEventLog seam: where a run's transcript lives. Append-only per run, numbered from 1
 * without gaps, and durable before `append` resolves, so an event a client has seen is never lost
 * and a restarted control plane never stores one twice. Implementations: SQLite locally (the
 * Kubernetes backend keeps the same SQL log beside its API server).
 */
import { z } from 'zod';
import type { StoredTranscriptEvent, TranscriptEvent } from './transcript.ts';

/**
 * Where the pump that feeds a run's log has read up to in its source (the harness's output), in
 * bytes. Stored in the same transaction as the events it produced, so a pump restarted after a
 * crash resumes exactly after the last stored event: no event lost, none duplicated.
 */
export const RunLogCursor = z.strictObject({ sourceOffset: z.int().nonnegative() });
export type RunLogCursor = z.infer<typeof RunLogCursor>;

/** The options of `RunEventLog.read`, with their defaults. */
export const RunEventReadOptions = z.strictObject({
  afterSeq: z.int().nonnegative().default(0),
  limit: z.int().min(1).max(1_000).default(1_000),
});

export interface RunEventLog {
  /**
   * Appends events to the run's log in one transaction and returns them numbered (`seq`
   * continuing from the last stored one). With `cursor`, records the pump's new position in the
   * same transaction. Throws `validation_failed` for an invalid event (nothing is stored then).
   */
  append(
    runUid: string,
    events: readonly TranscriptEvent[],
    cursor?: RunLogCursor,
  ): Promise<StoredTranscriptEvent[]>;
  /** Events with `seq > afterSeq` (0 by default), oldest first, at most `limit` (1000 by default). */
  read(
    runUid: string,
    options?: { afterSeq?: number; limit?: number },
  ): Promise<StoredTranscriptEvent[]>;
  /** The pump's recorded position, or `{sourceOffset: 0}` for a run without one. */
  cursor(runUid: string): Promise<RunLogCursor>;
  /** The highest `seq` stored for the run, 0 when none. */
  lastSeq(runUid: string): Promise<number>;
  /**
   * Every event after `afterSeq`, then each new one as it is appended, until `signal` aborts (the
   * iterator then ends without an error).
   */
  follow(
    runUid: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncIterable<StoredTranscriptEvent>;
  /** Deletes the run's events and cursor (the Run resource is gone). */
  remove(runUid: string): Promise<void>;
}
