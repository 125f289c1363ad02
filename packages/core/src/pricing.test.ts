import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from './errors.ts';
import { costUsd, DEFAULT_PRICE_TABLE, type PriceTable, priceOf } from './pricing.ts';

const table: PriceTable = {
  models: [
    { model: 'm*', inputUsdPerMTok: 1, outputUsdPerMTok: 2 },
    { model: 'm-large*', inputUsdPerMTok: 10, outputUsdPerMTok: 20, cacheReadUsdPerMTok: 1 },
    { model: 'm-large-exact', inputUsdPerMTok: 100, outputUsdPerMTok: 200 },
  ],
};

describe('pricing', () => {
  it('prefers an exact id, then the longest prefix', () => {
    assert.equal(priceOf(table, 'm-large-exact')?.inputUsdPerMTok, 100);
    assert.equal(priceOf(table, 'm-large-2')?.inputUsdPerMTok, 10);
    assert.equal(priceOf(table, 'm-small')?.inputUsdPerMTok, 1);
    assert.equal(priceOf(table, 'other'), undefined);
  });

  it('costs input, output and cached tokens per million', () => {
    const cost = costUsd(table, 'm-large-1', {
      inputTokens: 1_000_000,
      outputTokens: 500_000,
      cacheReadTokens: 2_000_000,
    });
    assert.equal(cost, 10 + 10 + 2);
    assert.equal(costUsd(table, 'm', { inputTokens: 0, outputTokens: 0 }), 0);
  });

  it('refuses a model without a price unless the table has a default', () => {
    assert.throws(
      () => costUsd(table, 'other', { inputTokens: 1, outputTokens: 1 }),
      (e: unknown) =>
        isPaddockError(e) && e.code === 'validation_failed' && /other/.test(e.message),
    );
    const withDefault = { ...table, default: { inputUsdPerMTok: 0, outputUsdPerMTok: 0 } };
    assert.equal(costUsd(withDefault, 'other', { inputTokens: 5, outputTokens: 5 }), 0);
  });

  it('prices the common models of the default table', () => {
    assert.equal(priceOf(DEFAULT_PRICE_TABLE, 'claude-sonnet-4-5-20250929')?.outputUsdPerMTok, 15);
    assert.equal(priceOf(DEFAULT_PRICE_TABLE, 'gpt-4o-mini-2024-07-18')?.inputUsdPerMTok, 0.15);
  });
});
