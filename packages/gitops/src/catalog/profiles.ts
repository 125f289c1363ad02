/**
 * Profiles: named lists of catalog entries compiled into the CLI. `--profile a,b` is the union of
 * the lists, resolved through `enable`, so every dependency comes along. Profiles leave out the
 * entries that need an image or account of the user's own (Guardrails AI, NeMo Guardrails); the
 * Secrets LiteLLM, Langfuse and Temporal read are listed in their `prerequisites`.
 */
import { ErrorCode, PaddockError } from '@paddock/core';
import type { Catalog } from './catalog-graph.ts';
import { type EnableResult, enable } from './dependency-resolution.ts';
import { nearMatches } from './near-matches.ts';

export const Profile = {
  AgentMinimal: 'agent-minimal',
  AgentDev: 'agent-dev',
  AgentSafe: 'agent-safe',
  AgentFull: 'agent-full',
  Rag: 'rag',
} as const;
export type Profile = (typeof Profile)[keyof typeof Profile];

const MINIMAL = ['paddock', 'litellm'];
const OBSERVABILITY = ['kube-prometheus-stack', 'loki', 'tempo', 'alloy', 'langfuse'];
const SAFETY = ['presidio', 'gatekeeper', 'external-secrets'];
const RAG = ['qdrant', 'text-embeddings-inference', 'unstructured'];

/** Each profile's entries (dependencies are added by `enable`, not listed here). */
export const PROFILES: Readonly<Record<Profile, readonly string[]>> = {
  /** Paddock and the LLM gateway. */
  'agent-minimal': MINIMAL,
  /** Minimal plus a local model and the observability stack. */
  'agent-dev': [...MINIMAL, 'ollama', ...OBSERVABILITY],
  /** Minimal plus PII redaction, admission policy and secret syncing. */
  'agent-safe': [...MINIMAL, ...SAFETY],
  /** Everything that runs without an image or account of the user's own, Temporal included. */
  'agent-full': [...MINIMAL, 'ollama', ...OBSERVABILITY, ...SAFETY, ...RAG, 'temporal'],
  /** Retrieval: vector store, embeddings, document parsing. */
  rag: RAG,
};

/** Parses `--profile a,b` (commas, spaces tolerated); unknown names fail with near matches. */
export function parseProfiles(flag: string): Profile[] {
  const names = flag
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const known = Object.keys(PROFILES);
  const unknown = names.filter((n) => !isProfile(n));
  if (unknown.length > 0) {
    const suggestions = Object.fromEntries(unknown.map((n) => [n, nearMatches(n, known)]));
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `unknown profile ${unknown.join(', ')}; profiles: ${known.join(', ')}`,
      { unknown, suggestions, profiles: known },
    );
  }
  return [...new Set(names.filter(isProfile))];
}

export function isProfile(name: string): name is Profile {
  return Object.hasOwn(PROFILES, name);
}

/** The union of the profiles' entries, sorted and without duplicates. */
export function profileEntries(profiles: readonly Profile[]): string[] {
  return [...new Set(profiles.flatMap((p) => PROFILES[p]))].sort();
}

/** Enables the union of the profiles' entries and their dependencies. */
export function applyProfiles(catalog: Catalog, profiles: readonly Profile[]): EnableResult {
  return enable(catalog, profileEntries(profiles));
}
