import { Informer, InformerEventType } from '@paddock/control';
import { isTerminalRunPhase, type ResourceStore, type RunPhase } from '@paddock/core';
import type { Counter } from '@paddock/http';

/**
 * Counts runs into `counter` (label `phase`) as they reach an outcome, by watching the store: a
 * run counts once, when it is seen moving from an active phase to a terminal one. Runs already
 * finished when the watch starts are not counted (a counter starts at zero with the process).
 * Resolves once the first list is read; the returned function stops the watch.
 */
export async function watchRunOutcomes(
  store: ResourceStore,
  counter: Counter,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const informer = new Informer(store, 'Run', { log });
  const phases = new Map<string, RunPhase | undefined>();
  let isWatching = false;
  informer.subscribe(({ type, object }) => {
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
  await informer.start();
  isWatching = true;
  return () => informer.stop();
}
