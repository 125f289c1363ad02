import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  type AnyResource,
  API_VERSION,
  type ClusterSandboxTemplate,
  type ErrorCode,
  isPaddockError,
  type ObjectMeta,
  type PaddockError,
  type Sandbox,
  type SandboxTemplate,
  type TemplateRef,
  type TemplateSpec,
  type WatchEvent,
} from '@paddock/core';

/** Optional parts of a fixture. */
export type FixtureOptions = {
  labels?: Record<string, string>;
  finalizers?: string[];
  spec?: TemplateSpec;
};

/**
 * A name no other test uses (stores under test may share a cluster): `prefix-` and 8 random
 * lowercase hex digits.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function metadata(
  name: string,
  namespace: string | undefined,
  options: FixtureOptions,
): ObjectMeta {
  const meta: ObjectMeta = { name };
  if (namespace !== undefined) meta.namespace = namespace;
  if (options.labels !== undefined) meta.labels = options.labels;
  if (options.finalizers !== undefined) meta.finalizers = options.finalizers;
  return meta;
}

/** A namespaced `SandboxTemplate` (spec `{}` unless given). */
export function template(
  namespace: string,
  name: string,
  options: FixtureOptions = {},
): SandboxTemplate {
  return {
    apiVersion: API_VERSION,
    kind: 'SandboxTemplate',
    metadata: metadata(name, namespace, options),
    spec: options.spec ?? {},
  };
}

/** A cluster-scoped `ClusterSandboxTemplate` (spec `{}` unless given). */
export function clusterTemplate(
  name: string,
  options: FixtureOptions = {},
): ClusterSandboxTemplate {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterSandboxTemplate',
    metadata: metadata(name, undefined, options),
    spec: options.spec ?? {},
  };
}

/** The template a fixture `Sandbox` refers to unless told: `SandboxTemplate` `x` of its namespace. */
export const FIXTURE_TEMPLATE_REF: TemplateRef = { name: 'x' };

/** A `Sandbox` of template `templateRef` (default `FIXTURE_TEMPLATE_REF`, which need not exist). */
export function sandbox(
  namespace: string,
  name: string,
  options: Omit<FixtureOptions, 'spec'> & { templateRef?: TemplateRef } = {},
): Sandbox {
  return {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: metadata(name, namespace, options),
    spec: { templateRef: options.templateRef ?? FIXTURE_TEMPLATE_REF, desiredState: 'Running' },
  };
}

/** `ADDED ns/name` (or `ADDED name` for cluster kinds): compact event lists for assertions. */
export function summarize(event: WatchEvent<AnyResource>): string {
  const { namespace, name } = event.object.metadata;
  return `${event.type} ${namespace === undefined ? '' : `${namespace}/`}${name ?? ''}`;
}

/** Asserts that `promise` rejects with a `PaddockError` of `code`, then runs `check` on it. */
export async function assertRejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  check: (error: PaddockError) => void = () => {},
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPaddockError(error), `expected a PaddockError "${code}", got ${String(error)}`);
    assert.equal(error.code, code, `expected "${code}", got "${error.code}": ${error.message}`);
    check(error);
    return true;
  });
}

/** Races `promise` against a timer (cleared either way) so a missing event fails instead of hanging. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms` milliseconds: lets a pending `next()` reach its wait before it is ended. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a watch one event at a time, each with a timeout. */
export class EventReader<T extends AnyResource> {
  readonly iterator: AsyncIterator<WatchEvent<T>>;

  constructor(watch: AsyncIterable<WatchEvent<T>>) {
    this.iterator = watch[Symbol.asyncIterator]();
  }

  /** The next event; fails when the watch ends or nothing arrives within `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<WatchEvent<T>> {
    const result = await within(this.iterator.next(), timeoutMs, 'a watch event');
    assert.equal(result.done, false, 'the watch ended while an event was expected');
    return result.value;
  }

  /** The next `count` events, summarized (see `summarize`). */
  async take(count: number, timeoutMs = 5_000): Promise<string[]> {
    const events: string[] = [];
    while (events.length < count) events.push(summarize(await this.next(timeoutMs)));
    return events;
  }

  /** Ends the watch (iterator `return()`). */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
