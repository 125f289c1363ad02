// E2B's fork (`POST /sandboxes/{id}/fork`): a SandboxSnapshot of the sandbox, then `count` new
// sandboxes started from it with the source's template, overrides, volumes, E2B template name,
// metadata and timeout policy. The snapshot and each fork are made by the same functions as E2B's
// snapshot create and sandbox create, so ownership, admission, quotas and references hold alike.
// E2B's fork shows no snapshot: the one taken is left out of the list and deleted once every
// fork has started or failed (a fork's workspace is its own copy by then).
import { randomBytes } from 'node:crypto';
import { findObject } from '@paddock/control';
import { ErrorCode, isPaddockError, PaddockError, type Sandbox } from '@paddock/core';
import { z } from 'zod';
import { deleteResource } from '../handlers/resources.ts';
import { toPaddockError } from '../http/errors.ts';
import { json, type Reply } from '../http/respond.ts';
import { DEFAULT_TIMEOUT_SEC, newE2bSandbox } from './control-create.ts';
import { inSeconds, readBodyAs } from './control-input.ts';
import { settle, visibleSandbox } from './control-sandbox.ts';
import { takeSnapshot } from './control-snapshots.ts';
import { sandboxOf } from './control-views.ts';
import type { ControlCall } from './e2b-call.ts';
import { e2bErrorOf } from './e2b-errors.ts';
import {
  E2B_FORK_ANNOTATION,
  E2B_METADATA_ANNOTATION,
  E2B_NAMESPACE,
  E2B_SECURE_ANNOTATION,
  E2B_TEMPLATE_ANNOTATION,
  sandboxIdOf,
} from './e2b-sandboxes.ts';

/** At most this many forks per call, as `paddock sandbox fork`. */
const MAX_FORK_COUNT = 50;
/** A fork's snapshot outlives the call by at most this (a crash mid-fork leaves none for good). */
const FORK_SNAPSHOT_TTL = '1h';
/** The label each fork carries, naming the sandbox it was forked from (as `paddock sandbox fork`). */
const FORKED_FROM_LABEL = 'paddock.dev/forked-from';
/** The longest name a resource may have (a DNS label). */
const NAME_MAX = 63;

/** What E2B's `SandboxForkRequest` carries: how many forks, and their timeout in seconds. */
const ForkRequest = z.object({
  count: z.int().min(1).max(MAX_FORK_COUNT).optional(),
  timeout: z.int().min(0).optional(),
});

/** E2B's `SandboxForkResult`: the started sandbox, or why that fork did not start. */
type ForkResult =
  | { sandbox: ReturnType<typeof sandboxOf> }
  | { error: ReturnType<typeof e2bErrorOf> };

/**
 * `POST /sandboxes/{id}/fork`: 201 with one result per fork, each its own success or failure;
 * any other status (the sandbox not found or not the caller's, the snapshot failing) means no
 * fork was attempted.
 */
export async function forkSandbox(call: ControlCall): Promise<Reply> {
  const { count = 1, timeout = DEFAULT_TIMEOUT_SEC } = await readBodyAs(call, ForkRequest, 'fork');
  const source = await visibleSandbox(call);
  const sourceId = sandboxIdOf(source);
  const suffix = `-fork-${randomBytes(4).toString('hex')}`;
  const snapshotName = `${sourceId.slice(0, NAME_MAX - suffix.length)}${suffix}`;
  let results: ForkResult[] = [];
  try {
    await takeSnapshot(call, source, {
      name: snapshotName,
      annotations: { [E2B_FORK_ANNOTATION]: sourceId },
      retention: { ttl: FORK_SNAPSHOT_TTL },
    });
    results = await startForks(call, source, snapshotName, count, timeout);
  } finally {
    await dropForkSnapshot(call, snapshotName, sourceId);
    call.ctx.audit.target = { kind: 'Sandbox', namespace: E2B_NAMESPACE, name: sourceId };
    call.ctx.audit.details = {
      snapshot: snapshotName,
      forks: results.flatMap((r) => ('sandbox' in r ? [r.sandbox.sandboxID] : [])),
      failed: results.filter((r) => 'error' in r).length,
    };
  }
  return json(results, 201);
}

/**
 * Deletes the snapshot a fork of `sourceId` took, as the caller, if there is one (the fork may
 * have failed before or while taking it); a name someone else's snapshot has is left alone.
 */
async function dropForkSnapshot(call: ControlCall, name: string, sourceId: string) {
  const key = { namespace: E2B_NAMESPACE, name };
  try {
    const snapshot = await findObject(call.deps.engine.store, 'SandboxSnapshot', key);
    if (snapshot?.metadata.annotations?.[E2B_FORK_ANNOTATION] !== sourceId) return;
    await deleteResource(call, 'SandboxSnapshot', E2B_NAMESPACE, name);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return;
    // Its retention's ttl deletes it later.
    const why = error instanceof Error ? error.message : String(error);
    call.deps.log(`fork of ${sourceId}: snapshot ${name} not deleted: ${why}`);
  }
}

/**
 * Creates the forks one after another, as that many E2B creates would be, then waits for all of
 * them to run at once; a fork refused or failing is its own error, the others go on.
 */
async function startForks(
  call: ControlCall,
  source: Sandbox,
  snapshotName: string,
  count: number,
  timeoutSec: number,
): Promise<ForkResult[]> {
  const asError = (error: unknown): PaddockError =>
    toPaddockError(error, call.ctx.requestId, call.deps.log);
  const metadata = forkMetadataOf(source);
  const spec: Sandbox['spec'] = {
    templateRef: source.spec.templateRef,
    fromSnapshot: { name: snapshotName },
    desiredState: 'Running',
    ...(source.spec.overrides === undefined ? {} : { overrides: source.spec.overrides }),
    ...(source.spec.volumes === undefined ? {} : { volumes: source.spec.volumes }),
    shutdownTime: inSeconds(timeoutSec),
    shutdownPolicy: source.spec.shutdownPolicy === 'Stop' ? 'Stop' : 'Delete',
  };
  const created: Array<Sandbox | PaddockError> = [];
  for (let i = 0; i < count; i++) {
    created.push(await newE2bSandbox(call, metadata, spec).catch(asError));
  }
  const running = await Promise.all(
    created.map((fork) =>
      fork instanceof PaddockError ? fork : settle(call, fork, 'Running').catch(asError),
    ),
  );
  return running.map((fork) =>
    fork instanceof PaddockError ? { error: e2bErrorOf(fork) } : { sandbox: sandboxOf(call, fork) },
  );
}

/** A fork's labels and annotations: forked from the source, with its E2B template, metadata and `secure`. */
function forkMetadataOf(source: Sandbox): Pick<Sandbox['metadata'], 'annotations' | 'labels'> {
  const kept = [E2B_TEMPLATE_ANNOTATION, E2B_METADATA_ANNOTATION, E2B_SECURE_ANNOTATION];
  const annotations = Object.fromEntries(
    kept.flatMap((key) => {
      const value = source.metadata.annotations?.[key];
      return value === undefined ? [] : [[key, value]];
    }),
  );
  return { annotations, labels: { [FORKED_FROM_LABEL]: sandboxIdOf(source) } };
}
