// E2B's sandbox list: the caller's sandboxes of the E2B namespace, filtered by state and metadata,
// newest first, a page at a time.
import { requireVisibleObject } from '@paddock/control';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { Reply } from '../http/respond.ts';
import { listedOf, stateOf } from './control-views.ts';
import type { ControlCall } from './e2b-call.ts';
import { E2B_NAMESPACE, metadataOf } from './e2b-sandboxes.ts';

const PAGE_LIMIT = 100;

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

export function limitOf(raw: string | null): number {
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
export async function listSandboxes(call: ControlCall, defaultStates?: string): Promise<Reply> {
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
