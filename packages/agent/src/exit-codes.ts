/**
 * The process's exit code for each outcome (and for a configuration it refused to start with).
 *
 * | exit | meaning |
 * |---|---|
 * | 0 | succeeded |
 * | 1 | failed (a model or setup error) |
 * | 2 | bad configuration (nothing ran) |
 * | 3 | budget_exceeded or timed_out |
 * | 130 | cancelled (SIGTERM, SIGINT, `POST /cancel`) |
 */
import { RunOutcome } from '@paddock/core';

export const EXIT_CONFIG_ERROR = 2;

export function exitCodeOf(outcome: RunOutcome): number {
  switch (outcome) {
    case RunOutcome.Succeeded:
      return 0;
    case RunOutcome.Failed:
      return 1;
    case RunOutcome.BudgetExceeded:
    case RunOutcome.TimedOut:
      return 3;
    case RunOutcome.Cancelled:
      return 130;
  }
}
