// E2B's snapshots on Paddock's SandboxSnapshots (namespace `default`): create one of a running
// sandbox, list them, delete one; `Sandbox.create(snapshotId)` is in control-create.ts. Each goes
// through the same functions as the REST API's, so ownership, references and policy hold alike.
import { findObject, isVisible } from '@paddock/control';
import {
  API_VERSION,
  ErrorCode,
  PaddockError,
  ResourceName,
  type Sandbox,
  type SandboxSnapshot,
  SnapshotPhase,
  type SnapshotRetention,
} from '@paddock/core';
import { z } from 'zod';
import { createResource, deleteResource } from '../handlers/resources.ts';
import { empty, json, type Reply } from '../http/respond.ts';
import { readBodyAs } from './control-input.ts';
import { limitOf } from './control-list.ts';
import { visibleSandbox } from './control-sandbox.ts';
import type { ControlCall } from './e2b-call.ts';
import { E2B_FORK_ANNOTATION, E2B_NAMESPACE, sandboxIdOf } from './e2b-sandboxes.ts';

const NewSnapshot = z.object({ name: ResourceName.optional() });

/** How long a create waits for the copy to be taken. */
const CAPTURE_TIMEOUT_MS = 120_000;

/** E2B's `SnapshotInfo`: the id `Sandbox.create` takes, and its names (Paddock has one). */
const infoOf = (snapshot: SandboxSnapshot) => {
  const name = snapshot.metadata.name ?? '';
  return { snapshotID: name, names: [name] };
};

/**
 * `POST /sandboxes/{id}/snapshots`: a SandboxSnapshot of the sandbox (named `name`, else after
 * the sandbox), answered once it is Ready; one that fails is the SDK's error with the reason.
 */
export async function createSnapshot(call: ControlCall): Promise<Reply> {
  const { name } = await readBodyAs(call, NewSnapshot, 'snapshot');
  const sandbox = await visibleSandbox(call);
  const naming =
    name === undefined ? { generateName: `${sandboxIdOf(sandbox).slice(0, 48)}-snap-` } : { name };
  return json(infoOf(await takeSnapshot(call, sandbox, naming)), 201);
}

/** How `takeSnapshot` names and marks a snapshot, and how long it may be kept. */
export type SnapshotPlan = ({ name: string } | { generateName: string }) & {
  annotations?: Record<string, string>;
  retention?: SnapshotRetention;
};

/**
 * A SandboxSnapshot of `sandbox` created as the caller through the REST API's create (owner,
 * admission and reference checks alike), once it is Ready; a capture that fails is `internal`
 * with the reason, one that takes too long is `timeout`.
 */
export async function takeSnapshot(
  call: ControlCall,
  sandbox: Sandbox,
  plan: SnapshotPlan,
): Promise<SandboxSnapshot> {
  const { annotations, retention, ...naming } = plan;
  const manifest: SandboxSnapshot = {
    apiVersion: API_VERSION,
    kind: 'SandboxSnapshot',
    metadata: {
      namespace: E2B_NAMESPACE,
      ...naming,
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: {
      sandboxRef: { name: sandboxIdOf(sandbox) },
      ...(retention === undefined ? {} : { retention }),
    },
  };
  const created = await createResource(call, 'SandboxSnapshot', manifest, E2B_NAMESPACE);
  return untilCaptured(call, created as SandboxSnapshot);
}

/**
 * `GET /snapshots`: the caller's ready snapshots (not a fork's own, which the fork deletes),
 * newest first, filtered by `sandboxID` (the sandbox each was taken of) and `name`, a page at a
 * time (`x-next-token`: the last name given).
 */
export async function listSnapshots(call: ControlCall): Promise<Reply> {
  const query = call.ctx.url.searchParams;
  const sandboxId = query.get('sandboxID');
  const name = query.get('name');
  const limit = limitOf(query.get('limit'));
  const after = query.get('nextToken');
  const { items } = await call.deps.engine.store.list('SandboxSnapshot', {
    namespace: E2B_NAMESPACE,
  });
  const matching = items
    .filter(
      (s) =>
        isVisible(call.principal, s) &&
        s.status?.phase === SnapshotPhase.Ready &&
        s.metadata.deletionTimestamp === undefined &&
        s.metadata.annotations?.[E2B_FORK_ANNOTATION] === undefined &&
        (sandboxId === null || s.spec.sandboxRef.name === sandboxId) &&
        (name === null || s.metadata.name === name),
    )
    .sort((a, b) => {
      const [at, bt] = [createdAt(a), createdAt(b)];
      return at === bt ? (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '') : bt - at;
    });
  const start = after === null ? 0 : matching.findIndex((s) => s.metadata.name === after) + 1;
  if (after !== null && start === 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'nextToken is not one this server gave', {
      issues: [{ path: 'nextToken', message: 'unknown or expired' }],
    });
  }
  const page = matching.slice(start, start + limit);
  const last = page.at(-1)?.metadata.name;
  const hasMore = start + limit < matching.length && last !== undefined;
  return {
    type: 'json',
    status: 200,
    body: page.map(infoOf),
    ...(hasMore ? { headers: { 'x-next-token': last } } : {}),
  };
}

/**
 * `DELETE /templates/{id}` (the SDK's `deleteSnapshot`): deletes the snapshot of that name, as
 * the REST API does (its owner or an admin). A template of that name is not deleted here.
 */
export async function deleteSnapshot(call: ControlCall): Promise<Reply> {
  const id = call.params.templateID ?? '';
  const name = ResourceName.safeParse(id).success ? id : undefined;
  const key = { namespace: E2B_NAMESPACE, name: name ?? '' };
  const snapshot =
    name === undefined
      ? undefined
      : await findObject(call.deps.engine.store, 'SandboxSnapshot', key);
  if (snapshot === undefined || snapshot.metadata.deletionTimestamp !== undefined) {
    if (name !== undefined && (await isTemplate(call, name))) {
      call.req.resume();
      const message = `deleting templates is not supported by Paddock's E2B API (see docs/e2b.md)`;
      return json({ code: 501, message }, 501);
    }
    throw new PaddockError(ErrorCode.NotFound, `snapshot "${id}" not found`);
  }
  call.ctx.audit.target = { kind: 'SandboxSnapshot', ...key };
  await deleteResource(call, 'SandboxSnapshot', E2B_NAMESPACE, key.name);
  return empty(204);
}

async function isTemplate(call: ControlCall, name: string): Promise<boolean> {
  const { store } = call.deps.engine;
  return (
    (await findObject(store, 'SandboxTemplate', { namespace: E2B_NAMESPACE, name })) !==
      undefined || (await findObject(store, 'ClusterSandboxTemplate', { name })) !== undefined
  );
}

function createdAt(snapshot: SandboxSnapshot): number {
  return Date.parse(snapshot.status?.createdAt ?? snapshot.metadata.creationTimestamp ?? '') || 0;
}

/**
 * Waits, pushed by the store's watch, until the snapshot is Ready; Failed is reported with its
 * reason, a snapshot deleted meanwhile is `not_found`.
 */
async function untilCaptured(call: ControlCall, snapshot: SandboxSnapshot) {
  const name = snapshot.metadata.name ?? '';
  const settled = (s: SandboxSnapshot) => {
    if (s.status?.phase === SnapshotPhase.Ready) return s;
    if (s.status?.phase === SnapshotPhase.Failed) {
      throw new PaddockError(
        ErrorCode.Internal,
        `snapshot "${name}" failed: ${s.status.message ?? s.status.reason ?? 'no reason given'}`,
      );
    }
    return undefined;
  };
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), CAPTURE_TIMEOUT_MS);
  const onClose = () => stop.abort();
  call.deps.shutdown.addEventListener('abort', onClose);
  call.res.once('close', onClose);
  try {
    const events = call.deps.engine.store.watch('SandboxSnapshot', {
      namespace: E2B_NAMESPACE,
      name,
      ...(snapshot.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: snapshot.metadata.resourceVersion }),
      signal: stop.signal,
    });
    const now = settled(
      await call.deps.engine.store.get('SandboxSnapshot', { namespace: E2B_NAMESPACE, name }),
    );
    if (now !== undefined) return now;
    for await (const event of events) {
      if (event.type === 'DELETED') {
        throw new PaddockError(ErrorCode.NotFound, `snapshot "${name}" was deleted`);
      }
      const done = settled(event.object);
      if (done !== undefined) return done;
    }
    throw new PaddockError(
      ErrorCode.Timeout,
      `snapshot "${name}" was not taken within ${CAPTURE_TIMEOUT_MS / 1000}s`,
    );
  } finally {
    clearTimeout(timer);
    call.deps.shutdown.removeEventListener('abort', onClose);
    call.res.off('close', onClose);
    stop.abort();
  }
}
