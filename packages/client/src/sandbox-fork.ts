/**
 * Forking a sandbox: a SandboxSnapshot of it, then `count` new Sandboxes that start from that
 * snapshot (`spec.fromSnapshot`) with the source's template, overrides and volumes. Each copy
 * has its own workspace from then on: a write in one is seen in no other. Every object is
 * created through the API, so each is admitted with the caller's rights; the copies wait,
 * Pending, until the snapshot is captured.
 */
import { ErrorCode, PaddockError, type SnapshotRetention } from '@paddock/core';
import type { PaddockClient } from './client.ts';

/** At most this many copies per fork. */
export const MAX_FORK_COUNT = 50;

export type ForkOptions = {
  /** How many copies (1 to 50). */
  count: number;
  /** The snapshot's name; `<name>-fork-<time>` when absent. Copies are `<snapshot>-<i>`. */
  snapshotName?: string;
  namespace?: string;
  retention?: SnapshotRetention;
};

export type ForkResult = { snapshot: string; sandboxes: string[] };

function invalid(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${path} ${message}`, {
    issues: [{ path, message }],
  });
}

/** Forks the sandbox `name` (see the module's comment); returns what it created. */
export async function forkSandbox(
  client: Pick<PaddockClient, 'sandboxes' | 'resources'>,
  name: string,
  options: ForkOptions,
): Promise<ForkResult> {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_FORK_COUNT)
    throw invalid('count', `must be a whole number from 1 to ${MAX_FORK_COUNT}`);
  const scope = options.namespace === undefined ? {} : { namespace: options.namespace };
  const source = await client.sandboxes.get(name, scope);
  const suffix = `-${count}`.length;
  const snapshot =
    options.snapshotName ?? `${name.slice(0, 63 - 6 - 9 - suffix)}-fork-${Date.now().toString(36)}`;
  if (snapshot.length + suffix > 63)
    throw invalid('snapshotName', `must leave room for "-${count}" within 63 characters`);
  await client.resources('SandboxSnapshot').create(
    {
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'SandboxSnapshot',
      metadata: { name: snapshot },
      spec: {
        sandboxRef: { name },
        ...(options.retention === undefined ? {} : { retention: options.retention }),
      },
    },
    scope,
  );
  const sandboxes: string[] = [];
  for (let i = 1; i <= count; i++) {
    const copy = `${snapshot}-${i}`;
    await client.sandboxes.create(
      {
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: { name: copy, labels: { 'paddock.dev/forked-from': name } },
        spec: {
          templateRef: source.spec.templateRef,
          ...(source.spec.overrides === undefined ? {} : { overrides: source.spec.overrides }),
          ...(source.spec.volumes === undefined ? {} : { volumes: source.spec.volumes }),
          fromSnapshot: { name: snapshot },
        },
      },
      scope,
    );
    sandboxes.push(copy);
  }
  return { snapshot, sandboxes };
}
