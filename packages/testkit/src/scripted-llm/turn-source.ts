import { ErrorCode, PaddockError } from '@paddock/core';
import type { LlmScript, RecordedRequest, ScriptedTurn } from './script.ts';

/** Hands out the script's turns: in order for a list, by calling the function otherwise. */
export class TurnSource {
  readonly #turns: ScriptedTurn[] | undefined;
  readonly #choose: ((request: RecordedRequest, index: number) => ScriptedTurn) | undefined;
  #next = 0;

  constructor(script: LlmScript) {
    if (typeof script === 'function') {
      this.#choose = script;
    } else {
      this.#turns = [...script];
    }
  }

  /** The turn for the request at `index` (0-based), or undefined when a list script ran out. */
  take(request: RecordedRequest, index: number): ScriptedTurn | undefined {
    if (this.#choose !== undefined) return this.#choose(request, index);
    const turn = this.#turns?.[this.#next];
    if (turn !== undefined) this.#next += 1;
    return turn;
  }

  /** Turns not played yet; a function script never runs out. */
  remaining(): number {
    if (this.#turns === undefined) return Number.POSITIVE_INFINITY;
    return this.#turns.length - this.#next;
  }

  push(turns: readonly ScriptedTurn[]): void {
    if (this.#turns === undefined) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        'scripted LLM: push() needs a list script, not a function',
      );
    }
    this.#turns.push(...turns);
  }
}
