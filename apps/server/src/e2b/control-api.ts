/**
 * E2B's control API (sandboxes: create, list, get, kill, set timeout, connect/resume, pause) on
 * Paddock's services: an E2B sandbox is a Sandbox in the E2B namespace, created, admitted and
 * changed by the same functions as the REST API's, so ownership, roles and policy hold alike.
 * E2B's timeout is the Sandbox's `shutdownTime` (`Delete` at it, or `Stop` when the SDK asks to
 * pause on timeout). E2B's pause is Paddock's pause (`desiredState: Paused`: processes frozen,
 * memory kept) where the runtime can pause, else a stop (the workspace kept, processes not); E2B's
 * "paused" state is either of them, and connect or resume runs the sandbox again.
 */
import { randomBytes } from 'node:crypto';
import {
  canPause,
  findObject,
  PrincipalVia,
  requireManageable,
  requireVisibleObject,
  withStartRequest,
} from '@paddock/control';
import {
  API_VERSION,
  ErrorCode,
  PaddockError,
  parseInput,
  parseQuantity,
  quantityToNumber,
  type Sandbox,
  type SandboxEnvironment,
  type TemplateRef,
} from '@paddock/core';
import { z } from 'zod';
import { createResource, replaceResource } from '../handlers/resources.ts';
import { pauseRequested, stopRequested, updateSandboxSpec } from '../handlers/sandbox.ts';
import { updateRetrying } from '../handlers/update-retrying.ts';
import { parseJsonBody, readBody } from '../http/body.ts';
import { empty, json, type Reply } from '../http/respond.ts';
import type { ControlCall, ControlRoute } from './e2b-call.ts';
import {
  E2B_METADATA_ANNOTATION,
  E2B_NAMESPACE,
  E2B_SECURE_ANNOTATION,
  E2B_TEMPLATE_ANNOTATION,
  ENVD_VERSION,
  keyOfSandboxId,
  metadataOf,
  sandboxIdOf,
} from './e2b-sandboxes.ts';

const Metadata = z.record(z.string(), z.string());

/** What E2B's `POST /v2/sandboxes` carries (fields Paddock cannot honour are refused by name). */
const NewSandbox = z.object({
  templateID: z.string().min(1),
  /** Seconds to live. */
  timeout: z.int().min(0).optional(),
  autoPause: z.boolean().optional(),
  autoPauseMemory: z.boolean().optional(),
  autoResume: z.object({ enabled: z.boolean() }).partial().optional(),
  secure: z.boolean().optional(),
  allow_internet_access: z.boolean().optional(),
  network: z
    .object({
      allowOut: z.array(z.string()).optional(),
      denyOut: z.array(z.string()).optional(),
      allowPublicTraffic: z.boolean().optional(),
    })
    .loose()
    .optional(),
  metadata: Metadata.optional(),
  envVars: Metadata.optional(),
  mcp: z.unknown().optional(),
  volumeMounts: z.array(z.unknown()).optional(),
});
type NewSandbox = z.infer<typeof NewSandbox>;

const Timeout = z.object({ timeout: z.int().min(0) });
const Pause = z.object({ memory: z.boolean().optional() }).loose();
const Resume = z.object({ timeout: z.int().min(0).optional() }).loose();

/** E2B's default sandbox lifetime when a create names none (its API's default, in seconds). */
const DEFAULT_TIMEOUT_SEC = 15;
/** How long a create, connect or pause waits for the sandbox to get there. */
const SETTLE_TIMEOUT_MS = 120_000;
const PAGE_LIMIT = 100;

async function readBodyAs<S extends z.ZodType>(call: ControlCall, schema: S, what: string) {
  const bytes = await readBody(call.req, call.deps.config.maxBodyBytes);
  const input = bytes.length === 0 ? {} : parseJsonBody(bytes);
  return parseInput(schema, input, what);
}

function unsupported(field: string, why: string): PaddockError {
  return new PaddockError(
    ErrorCode.ValidationFailed,
    `${field} is not supported by Paddock: ${why}`,
    {
      issues: [{ path: field, message: why }],
    },
  );
}

/** A fresh E2B-style sandbox id: a letter and 19 lowercase letters and digits (a DNS label). */
function newSandboxId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(19);
  return `i${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** The template an E2B template id names: the E2B namespace's SandboxTemplate, else a cluster one. */
async function templateRefOf(call: ControlCall, templateId: string): Promise<TemplateRef> {
  const local = await findObject(call.deps.engine.store, 'SandboxTemplate', {
    namespace: E2B_NAMESPACE,
    name: templateId,
  });
  if (local !== undefined) return { kind: 'SandboxTemplate', name: templateId };
  const cluster = await findObject(call.deps.engine.store, 'ClusterSandboxTemplate', {
    name: templateId,
  });
  if (cluster === undefined) {
    throw new PaddockError(ErrorCode.NotFound, `template "${templateId}" not found`);
  }
  return { kind: 'ClusterSandboxTemplate', name: templateId };
}

/** E2B's network options as a Paddock network override (none when E2B's default is asked). */
function networkOf(body: NewSandbox): SandboxEnvironment['network'] | undefined {
  const allowOut = body.network?.allowOut ?? [];
  if (body.network?.denyOut !== undefined && body.network.denyOut.length > 0) {
    throw unsupported(
      'network.denyOut',
      'egress is denied unless allowed; list what to allow in allowOut',
    );
  }
  if (allowOut.length > 0) return { egress: 'allowlist', allowedDomains: allowOut };
  if (body.allow_internet_access === true) return { egress: 'open' };
  if (body.allow_internet_access === false) return { egress: 'none' };
  return undefined;
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

async function createSandbox(call: ControlCall): Promise<Reply> {
  const body = await readBodyAs(call, NewSandbox, 'sandbox');
  if (body.mcp !== undefined) throw unsupported('mcp', "the MCP gateway template is E2B's");
  if (body.volumeMounts !== undefined && body.volumeMounts.length > 0) {
    throw unsupported('volumeMounts', 'Paddock has no volumes yet');
  }
  if (body.autoResume?.enabled === true) {
    throw unsupported('autoResume', 'a paused sandbox resumes on connect, not on traffic');
  }
  if (body.secure === false && call.principal.via !== PrincipalVia.Anonymous) {
    // Without the token, anyone who reaches the server and knows the id could run code in it.
    throw unsupported(
      'secure',
      'false is refused on a server that authenticates its callers: envd calls would need no credential at all',
    );
  }
  const templateRef = await templateRefOf(call, body.templateID);
  const network = networkOf(body);
  const env = Object.entries(body.envVars ?? {}).map(([name, value]) => ({ name, value }));
  const annotations: Record<string, string> = { [E2B_TEMPLATE_ANNOTATION]: body.templateID };
  if (body.metadata !== undefined && Object.keys(body.metadata).length > 0) {
    annotations[E2B_METADATA_ANNOTATION] = JSON.stringify(body.metadata);
  }
  if (body.secure === false) annotations[E2B_SECURE_ANNOTATION] = 'false';
  const overrides = {
    ...(env.length === 0 ? {} : { env }),
    ...(network === undefined ? {} : { network }),
  };
  const manifest: Sandbox = {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name: newSandboxId(), namespace: E2B_NAMESPACE, annotations },
    spec: {
      templateRef,
      desiredState: 'Running',
      ...(Object.keys(overrides).length === 0 ? {} : { overrides }),
      shutdownTime: inSeconds(body.timeout ?? DEFAULT_TIMEOUT_SEC),
      shutdownPolicy: body.autoPause === true ? 'Stop' : 'Delete',
    },
  };
  const created = (await createResource(call, 'Sandbox', manifest, E2B_NAMESPACE)) as Sandbox;
  const running = await settle(call, created, 'Running');
  return json(sandboxOf(call, running), 201);
}

/**
 * Waits until the sandbox reaches `phase`, pushed by the store's watch. A sandbox that ends in
 * Error instead is reported with its reason; one deleted meanwhile is `not_found`.
 */
async function settle(
  call: ControlCall,
  sandbox: Sandbox,
  phase: 'Running' | 'Stopped' | 'Paused',
) {
  const isThere = (s: Sandbox) =>
    s.status?.phase === phase && s.metadata.deletionTimestamp === undefined;
  const failed = (s: Sandbox) =>
    s.status?.phase === 'Error'
      ? new PaddockError(
          ErrorCode.Internal,
          `sandbox "${sandboxIdOf(s)}" failed to start: ${s.status.message ?? s.status.reason ?? s.status.phase}`,
        )
      : undefined;
  if (isThere(sandbox)) return sandbox;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), SETTLE_TIMEOUT_MS);
  const onClose = () => stop.abort();
  call.deps.shutdown.addEventListener('abort', onClose);
  call.res.once('close', onClose);
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  try {
    // From the version read, then a get: a change between the two is seen by one of them.
    const events = call.deps.engine.store.watch('Sandbox', {
      namespace: E2B_NAMESPACE,
      ...(sandbox.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: sandbox.metadata.resourceVersion }),
      signal: stop.signal,
    });
    const now = await call.deps.engine.store.get('Sandbox', key);
    if (isThere(now)) return now;
    const early = failed(now);
    if (early !== undefined) throw early;
    for await (const event of events) {
      if (event.object.metadata.name !== key.name) continue;
      if (event.type === 'DELETED') {
        throw new PaddockError(ErrorCode.NotFound, `sandbox "${key.name}" was deleted`);
      }
      if (isThere(event.object)) return event.object;
      const problem = failed(event.object);
      if (problem !== undefined) throw problem;
    }
    throw new PaddockError(
      ErrorCode.Timeout,
      `sandbox "${key.name}" did not become ${phase} within ${SETTLE_TIMEOUT_MS / 1000}s`,
    );
  } finally {
    clearTimeout(timer);
    call.deps.shutdown.removeEventListener('abort', onClose);
    call.res.off('close', onClose);
    stop.abort();
  }
}

/** The Sandbox an E2B id names, if the caller may see it; else `not_found` (E2B's 404). */
async function visibleSandbox(call: ControlCall): Promise<Sandbox> {
  const id = call.params.sandboxID ?? '';
  const key = keyOfSandboxId(id);
  const missing = new PaddockError(ErrorCode.NotFound, `sandbox "${id}" not found`);
  if (key === undefined) throw missing;
  const sandbox = await findObject(call.deps.engine.store, 'Sandbox', key);
  if (sandbox === undefined || sandbox.metadata.deletionTimestamp !== undefined) throw missing;
  requireVisibleObject(call.principal, sandbox);
  call.ctx.audit.target = { kind: 'Sandbox', ...key };
  return sandbox;
}

/** E2B's state of a Sandbox: `running`, `paused` (Paused or Stopped), or none (failed, being deleted). */
function stateOf(sandbox: Sandbox): 'running' | 'paused' | undefined {
  if (sandbox.metadata.deletionTimestamp !== undefined) return undefined;
  const phase = sandbox.status?.phase ?? 'Pending';
  if (phase === 'Stopped' || phase === 'Paused') return 'paused';
  if (phase === 'Pending' || phase === 'Creating' || phase === 'Running') return 'running';
  return undefined;
}

function quantityOr(text: string | undefined, scale: number, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return Math.max(1, Math.ceil(quantityToNumber(parseQuantity(text)) / scale));
  } catch {
    return fallback;
  }
}

/** The fields E2B's list and detail share. */
function listedOf(sandbox: Sandbox) {
  const resources = sandbox.status?.resolved?.resources;
  const started =
    sandbox.status?.startedAt ?? sandbox.metadata.creationTimestamp ?? new Date().toISOString();
  const ends = [sandbox.spec.shutdownTime, sandbox.status?.expiresAt].filter(
    (t): t is string => t !== undefined,
  );
  const endAt = ends.length === 0 ? '9999-12-31T23:59:59.000Z' : ends.sort()[0];
  const template =
    sandbox.metadata.annotations?.[E2B_TEMPLATE_ANNOTATION] ?? sandbox.spec.templateRef.name;
  return {
    templateID: template,
    alias: template,
    sandboxID: sandboxIdOf(sandbox),
    clientID: 'paddock',
    startedAt: started,
    endAt,
    cpuCount: quantityOr(resources?.cpu, 1, 1),
    memoryMB: quantityOr(resources?.memory, 1024 * 1024, 512),
    diskSizeMB: quantityOr(sandbox.status?.resolved?.workspace?.size, 1024 * 1024, 0),
    metadata: metadataOf(sandbox),
    state: stateOf(sandbox) ?? 'running',
    envdVersion: ENVD_VERSION,
    volumeMounts: [],
  };
}

/** What a create, connect or resume answers: how to reach the sandbox's envd. */
function sandboxOf(call: ControlCall, sandbox: Sandbox) {
  const template =
    sandbox.metadata.annotations?.[E2B_TEMPLATE_ANNOTATION] ?? sandbox.spec.templateRef.name;
  return {
    templateID: template,
    alias: template,
    sandboxID: sandboxIdOf(sandbox),
    clientID: 'paddock',
    envdVersion: ENVD_VERSION,
    envdAccessToken: call.e2b.tokens.tokenFor(sandbox),
    trafficAccessToken: null,
    domain: null,
  };
}

function detailOf(call: ControlCall, sandbox: Sandbox) {
  const egress = sandbox.status?.resolved?.network?.egress;
  return {
    ...listedOf(sandbox),
    envdAccessToken: call.e2b.tokens.tokenFor(sandbox),
    allowInternetAccess: egress === undefined ? null : egress === 'open',
    domain: null,
    lifecycle: {
      onTimeout: sandbox.spec.shutdownPolicy === 'Stop' ? 'pause' : 'kill',
      autoResume: false,
    },
  };
}

/** E2B's `metadata` query: a URL-encoded `key=value&…` whose keys and values are encoded again. */
function metadataFilter(raw: string | null): Record<string, string> {
  if (raw === null || raw === '') return {};
  const filter: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    try {
      filter[decodeURIComponent(key)] = decodeURIComponent(value);
    } catch {
      throw new PaddockError(ErrorCode.ValidationFailed, 'metadata is not URL-encoded', {
        issues: [{ path: 'metadata', message: 'must be URL-encoded key=value pairs' }],
      });
    }
  }
  return filter;
}

function statesOf(raw: string | null): Set<string> {
  const states = (raw ?? 'running,paused').split(',').filter((s) => s !== '');
  for (const state of states) {
    if (state !== 'running' && state !== 'paused') {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `state "${state}" is not running or paused`,
        {
          issues: [{ path: 'state', message: 'must be running or paused' }],
        },
      );
    }
  }
  return new Set(states);
}

function limitOf(raw: string | null): number {
  if (raw === null) return PAGE_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `limit must be a whole number from 1 to ${PAGE_LIMIT}`,
      {
        issues: [{ path: 'limit', message: `must be from 1 to ${PAGE_LIMIT}` }],
      },
    );
  }
  return limit;
}

/**
 * The sandboxes the caller sees in the E2B namespace, newest first, filtered by state and
 * metadata, a page at a time: `x-next-token` names the last one given (an id and its start).
 */
async function listSandboxes(call: ControlCall, defaultStates?: string): Promise<Reply> {
  const query = call.ctx.url.searchParams;
  const filter = metadataFilter(query.get('metadata'));
  const states = statesOf(query.get('state') ?? defaultStates ?? null);
  const limit = limitOf(query.get('limit'));
  const after = query.get('nextToken');
  const { items } = await call.deps.engine.store.list('Sandbox', { namespace: E2B_NAMESPACE });
  const matching = items
    .filter((s) => {
      try {
        requireVisibleObject(call.principal, s);
      } catch {
        return false;
      }
      const state = stateOf(s);
      if (state === undefined || !states.has(state)) return false;
      const metadata = metadataOf(s);
      return Object.entries(filter).every(([k, v]) => metadata[k] === v);
    })
    .map(listedOf)
    .sort((a, b) =>
      a.startedAt === b.startedAt
        ? a.sandboxID.localeCompare(b.sandboxID)
        : a.startedAt < b.startedAt
          ? 1
          : -1,
    );
  const start = after === null ? 0 : matching.findIndex((s) => cursorOf(s) === after) + 1;
  if (after !== null && start === 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'nextToken is not one this server gave', {
      issues: [{ path: 'nextToken', message: 'unknown or expired' }],
    });
  }
  const page = matching.slice(start, start + limit);
  const last = page.at(-1);
  const hasMore = start + limit < matching.length && last !== undefined;
  return {
    type: 'json',
    status: 200,
    body: page,
    ...(hasMore ? { headers: { 'x-next-token': cursorOf(last) } } : {}),
  };
}

const cursorOf = (s: { sandboxID: string; startedAt: string }) =>
  Buffer.from(`${s.startedAt}|${s.sandboxID}`).toString('base64url');

async function killSandbox(call: ControlCall): Promise<Reply> {
  const sandbox = await visibleSandbox(call);
  requireManageable(call.principal, sandbox);
  await call.deps.engine.store.delete('Sandbox', {
    namespace: E2B_NAMESPACE,
    name: sandboxIdOf(sandbox),
  });
  return empty(204);
}

/** Moves the shutdown time, through the same admission as any update (so `maxTimeout` holds). */
async function moveShutdown(call: ControlCall, sandbox: Sandbox, shutdownTime: string) {
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  return updateRetrying(
    async () => {
      const current = await call.deps.engine.store.get('Sandbox', key);
      requireManageable(call.principal, current);
      return current;
    },
    async (current) =>
      (await replaceResource(
        call,
        'Sandbox',
        { ...current, spec: { ...current.spec, shutdownTime } },
        E2B_NAMESPACE,
        key.name,
        current,
      )) as Sandbox,
  );
}

async function setTimeout_(call: ControlCall): Promise<Reply> {
  const { timeout } = await readBodyAs(call, Timeout, 'timeout');
  const sandbox = await visibleSandbox(call);
  await moveShutdown(call, sandbox, inSeconds(timeout));
  return empty(204);
}

/**
 * Connect (and the older resume): a paused sandbox is started and waited for; the shutdown time
 * moves to `timeout` seconds from now when that is later. 201 when it was resumed, 200 otherwise.
 */
async function connectSandbox(call: ControlCall, isResumeOnly: boolean): Promise<Reply> {
  const { timeout } = await readBodyAs(call, Resume, 'connect');
  let sandbox = await visibleSandbox(call);
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  const wasPaused = stateOf(sandbox) === 'paused';
  if (isResumeOnly && !wasPaused) {
    throw new PaddockError(ErrorCode.Conflict, `sandbox "${key.name}" is not paused`);
  }
  if (timeout !== undefined) {
    const wanted = inSeconds(timeout);
    const current = sandbox.spec.shutdownTime;
    if (current === undefined || current < wanted)
      sandbox = await moveShutdown(call, sandbox, wanted);
  }
  if (wasPaused) sandbox = await updateSandboxSpec(call, key, withStartRequest);
  const running = await settle(call, sandbox, 'Running');
  return json(sandboxOf(call, running), wasPaused ? 201 : 200);
}

/**
 * Pause: Paddock pauses the sandbox (processes frozen, memory kept) where its runtime can; else it
 * stops it (the workspace kept; processes and memory are not, so `memory: true` is refused).
 */
async function pauseSandbox(call: ControlCall): Promise<Reply> {
  const { memory } = await readBodyAs(call, Pause, 'pause');
  const isPausable = canPause(call.deps.engine.runtime);
  if (memory === true && !isPausable)
    throw unsupported('memory', 'this runtime cannot pause: a paused sandbox keeps its files only');
  const sandbox = await visibleSandbox(call);
  if (stateOf(sandbox) === 'paused') {
    throw new PaddockError(
      ErrorCode.Conflict,
      `sandbox "${sandboxIdOf(sandbox)}" is already paused`,
    );
  }
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  if (isPausable) {
    await settle(call, await updateSandboxSpec(call, key, pauseRequested), 'Paused');
    return empty(204);
  }
  const stopping = await updateSandboxSpec(call, key, stopRequested);
  await settle(call, stopping, 'Stopped');
  return empty(204);
}

/** Calls of E2B's API that Paddock does not offer: an E2B-shaped answer saying so. */
function notOffered(what: string): (call: ControlCall) => Promise<Reply> {
  return async (call) => {
    call.req.resume();
    const message = `${what} is not supported by Paddock's E2B API (see docs/e2b.md)`;
    return json({ code: 501, message }, 501);
  };
}

export const CONTROL_ROUTES: readonly ControlRoute[] = [
  { method: 'POST', path: '/v2/sandboxes', action: 'sandbox.create', handle: createSandbox },
  { method: 'POST', path: '/sandboxes', action: 'sandbox.create', handle: createSandbox },
  { method: 'GET', path: '/v2/sandboxes', action: 'sandbox.list', handle: (c) => listSandboxes(c) },
  {
    method: 'GET',
    path: '/sandboxes',
    action: 'sandbox.list',
    handle: (c) => listSandboxes(c, 'running'),
  },
  {
    method: 'GET',
    path: '/sandboxes/:sandboxID',
    action: 'sandbox.get',
    handle: async (c) => json(detailOf(c, await visibleSandbox(c))),
  },
  {
    method: 'DELETE',
    path: '/sandboxes/:sandboxID',
    action: 'sandbox.delete',
    handle: killSandbox,
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/timeout',
    action: 'sandbox.update',
    handle: setTimeout_,
  },
  {
    method: 'POST',
    path: '/v2/sandboxes/:sandboxID/connect',
    action: 'sandbox.start',
    handle: (c) => connectSandbox(c, false),
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/connect',
    action: 'sandbox.start',
    handle: (c) => connectSandbox(c, false),
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/resume',
    action: 'sandbox.start',
    handle: (c) => connectSandbox(c, true),
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/pause',
    action: 'sandbox.stop',
    handle: pauseSandbox,
  },
  {
    method: 'GET',
    path: '/sandboxes/:sandboxID/metrics',
    action: 'sandbox.get',
    handle: async (c) => {
      await visibleSandbox(c);
      return json([]);
    },
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/snapshots',
    action: 'sandbox.snapshot',
    handle: notOffered('snapshots'),
  },
  {
    method: 'GET',
    path: '/snapshots',
    action: 'sandbox.snapshot',
    handle: notOffered('snapshots'),
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/fork',
    action: 'sandbox.fork',
    handle: notOffered('forking a sandbox'),
  },
  {
    method: 'PUT',
    path: '/sandboxes/:sandboxID/network',
    action: 'sandbox.update',
    handle: notOffered("changing a running sandbox's network"),
  },
  {
    method: 'POST',
    path: '/v3/templates',
    action: 'template.create',
    handle: notOffered('template builds (use Paddock templates: docs/templates.md)'),
  },
  {
    method: 'POST',
    path: '/v2/templates',
    action: 'template.create',
    handle: notOffered('template builds (use Paddock templates: docs/templates.md)'),
  },
  {
    method: 'POST',
    path: '/templates',
    action: 'template.create',
    handle: notOffered('template builds (use Paddock templates: docs/templates.md)'),
  },
];
