import { type Informer, InformerEventType } from '@paddock/control';
import { isTerminalRunPhase, type RunPhase } from '@paddock/core';
import type { Counter } from '@paddock/http';

/**
 * Counts the runs of `runs` into `counter` (label `phase`) as they reach an outcome: a run counts
 * once, when it is seen moving from an active phase to a terminal one. Runs already finished at
 * the informer's first list are not counted (a counter starts at zero with the process).
 */
export function countRunOutcomes(runs: Informer<'Run'>, counter: Counter): void {
  const phases = new Map<string, RunPhase | undefined>();
  let isWatching = false;
  // Queued when the first list is in: before the watch after it hands over anything.
  void runs.synced().then(() => {
    isWatching = true;
  });
  runs.subscribe(({ type, object }) => {
    const uid = object.metadata.uid ?? '';
    if (type === InformerEventType.Deleted) {
      phases.delete(uid);
      return;
    }
    const phase = object.status?.phase;
    const before = phases.get(uid);
    phases.set(uid, phase);
    const isNewOutcome =
      phase !== undefined &&
      isTerminalRunPhase(phase) &&
      (before === undefined || !isTerminalRunPhase(before));
    // The first list (ADDED before the watch) only sets the baseline.
    if (isNewOutcome && isWatching) counter.inc({ phase });
  });
}
