import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import fc from 'fast-check';
import { DEFAULT_CATALOG } from './catalog.ts';
import { CATALOG_ENTRIES } from './catalog-entries.ts';
import { enable, enabledNames } from './dependency-resolution.ts';
import {
  applyProfiles,
  PROFILES,
  type Profile,
  parseProfiles,
  profileEntries,
} from './profiles.ts';

const profileArb = fc.subarray(Object.keys(PROFILES) as Profile[]);

describe('the compiled-in catalog', () => {
  it('holds every entry of the issue, pinned, with only Paddock enabled by default', () => {
    const names = CATALOG_ENTRIES.map((e) => e.name);
    for (const name of [
      'litellm',
      'langfuse',
      'kube-prometheus-stack',
      'loki',
      'tempo',
      'alloy',
      'guardrails-ai',
      'nemo-guardrails',
      'presidio',
      'qdrant',
      'text-embeddings-inference',
      'unstructured',
      'temporal',
      'external-secrets',
      'gatekeeper',
      'ollama',
      'cloudnative-pg',
      'postgresql',
      'valkey',
      'paddock',
    ]) {
      assert.ok(names.includes(name), name);
    }
    assert.deepEqual(enabledNames(DEFAULT_CATALOG), ['paddock']);
  });

  it('profiles need nothing from the user but the Secrets of LiteLLM, Langfuse and Temporal', () => {
    for (const [profile, names] of Object.entries(PROFILES)) {
      for (const name of enable(DEFAULT_CATALOG, names).catalog.entries.filter((e) => e.enabled)) {
        if (name.name === 'litellm' || name.name === 'langfuse' || name.name === 'temporal')
          continue;
        assert.deepEqual(name.prerequisites, [], `${profile}: ${name.name}`);
      }
    }
  });
});

describe('profiles', () => {
  it('parses --profile a,b and rejects unknown names with near matches', () => {
    assert.deepEqual(parseProfiles('agent-minimal, rag,rag'), ['agent-minimal', 'rag']);
    try {
      parseProfiles('agent-minmal');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(isPaddockError(error, 'validation_failed'));
      assert.deepEqual(error.details['suggestions'], { 'agent-minmal': ['agent-minimal'] });
    }
  });

  it('agent-minimal enables Paddock, LiteLLM and what LiteLLM needs', () => {
    const { catalog } = applyProfiles(DEFAULT_CATALOG, ['agent-minimal']);
    assert.deepEqual(enabledNames(catalog).sort(), [
      'cloudnative-pg',
      'litellm',
      'paddock',
      'postgresql',
      'valkey',
    ]);
  });

  it('property: profile unions commute and equal enabling one profile after the other', () => {
    fc.assert(
      fc.property(profileArb, profileArb, (a, b) => {
        const ab = applyProfiles(DEFAULT_CATALOG, [...a, ...b]).catalog;
        const ba = applyProfiles(DEFAULT_CATALOG, [...b, ...a]).catalog;
        assert.deepEqual(enabledNames(ab), enabledNames(ba));
        assert.deepEqual(profileEntries([...a, ...b]), profileEntries([...b, ...a]));
        const stepwise = applyProfiles(applyProfiles(DEFAULT_CATALOG, a).catalog, b).catalog;
        assert.deepEqual(enabledNames(stepwise), enabledNames(ab));
      }),
    );
  });
});
