/**
 * The run's budget as the harness sees it: running usage totals, and the checks that stop a run
 * before a turn would exceed `maxTurns`, or once `maxTokens` (input + output across the run) or
 * `maxUsd` (priced with the core price table) is spent. The gateway enforces budgets too, and
 * authoritatively; this is the harness's own, earlier stop. `timeout` is enforced by the run
 * (`run-harness.ts`), not here.
 */
import {
  type Budget,
  BudgetLimit,
  costUsd,
  EMPTY_USAGE,
  ErrorCode,
  PaddockError,
  type PriceTable,
  priceOf,
  RunOutcome,
  type RunUsage,
  type TokenCounts,
} from '@paddock/core';

/** Why a run stops early: its outcome, the budget limit (if one), and a message for people. */
export type Stop = { outcome: RunOutcome; limit?: BudgetLimit; message: string };

export class BudgetTracker {
  readonly #budget: Budget;
  readonly #model: string;
  readonly #prices: PriceTable;
  readonly #isPriced: boolean;
  #usage: RunUsage = EMPTY_USAGE;

  /**
   * Throws `validation_failed` (field `budget.maxUsd`) when `maxUsd` is set and the price table
   * does not price the model: a USD budget must never count calls as free.
   */
  constructor(budget: Budget, model: string, prices: PriceTable) {
    this.#budget = budget;
    this.#model = model;
    this.#prices = prices;
    this.#isPriced = priceOf(prices, model) !== undefined;
    if (budget.maxUsd !== undefined && !this.#isPriced) {
      const message = `model "${model}" has no price, so a maxUsd budget cannot be enforced; add it to the price table or remove maxUsd`;
      throw new PaddockError(ErrorCode.ValidationFailed, message, {
        issues: [{ path: 'budget.maxUsd', message }],
      });
    }
  }

  get usage(): RunUsage {
    return this.#usage;
  }

  /** False when the model has no price: its cost shows as 0. */
  get isPriced(): boolean {
    return this.#isPriced;
  }

  /** The stop before the next turn, if the budget forbids one more. */
  beforeTurn(): Stop | undefined {
    const { maxTurns, maxTokens, maxUsd } = this.#budget;
    if (maxTurns !== undefined && this.#usage.turns >= maxTurns) {
      return stop(BudgetLimit.MaxTurns, `reached maxTurns (${maxTurns})`);
    }
    if (maxTokens !== undefined && this.#tokens() >= maxTokens) {
      return stop(BudgetLimit.MaxTokens, `used ${this.#tokens()} of maxTokens ${maxTokens}`);
    }
    if (maxUsd !== undefined && this.#usage.costUsd >= maxUsd) {
      return stop(
        BudgetLimit.MaxUsd,
        `spent $${this.#usage.costUsd.toFixed(4)} of maxUsd $${maxUsd}`,
      );
    }
    return undefined;
  }

  /** Counts one model call's tokens (and its cost) as one turn. */
  recordTurn(tokens: TokenCounts): void {
    const input =
      tokens.inputTokens + (tokens.cacheReadTokens ?? 0) + (tokens.cacheWriteTokens ?? 0);
    this.#usage = {
      ...this.#usage,
      inputTokens: this.#usage.inputTokens + input,
      outputTokens: this.#usage.outputTokens + tokens.outputTokens,
      costUsd:
        this.#usage.costUsd + (this.#isPriced ? costUsd(this.#prices, this.#model, tokens) : 0),
      turns: this.#usage.turns + 1,
    };
  }

  recordToolCalls(count: number): void {
    this.#usage = { ...this.#usage, toolCalls: this.#usage.toolCalls + count };
  }

  /** The stop after a turn that went over `maxTokens` or `maxUsd` (its tools are not run). */
  afterTurn(): Stop | undefined {
    const { maxTokens, maxUsd } = this.#budget;
    if (maxTokens !== undefined && this.#tokens() > maxTokens) {
      return stop(BudgetLimit.MaxTokens, `used ${this.#tokens()} of maxTokens ${maxTokens}`);
    }
    if (maxUsd !== undefined && this.#usage.costUsd > maxUsd) {
      return stop(
        BudgetLimit.MaxUsd,
        `spent $${this.#usage.costUsd.toFixed(4)} of maxUsd $${maxUsd}`,
      );
    }
    return undefined;
  }

  #tokens(): number {
    return this.#usage.inputTokens + this.#usage.outputTokens;
  }
}

function stop(limit: BudgetLimit, message: string): Stop {
  return { outcome: RunOutcome.BudgetExceeded, limit, message };
}
