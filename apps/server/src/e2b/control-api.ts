/**
 * E2B's control API (sandboxes: create, list, get, kill, set timeout, connect/resume, pause) on
 * Paddock's services: an E2B sandbox is a Sandbox in the E2B namespace, created, admitted and
 * changed by the same functions as the REST API's, so ownership, roles and policy hold alike.
 * E2B's timeout is the Sandbox's `shutdownTime` (`Delete` at it, or `Stop` when the SDK asks to
 * pause on timeout). E2B's pause is Paddock's pause (`desiredState: Paused`: processes frozen,
 * memory kept) where the runtime can pause, else a stop (the workspace kept, processes not); E2B's
 * "paused" state is either of them, and connect or resume runs the sandbox again. E2B's snapshots
 * are SandboxSnapshots (control-snapshots.ts); a fork is a snapshot and sandboxes started from it
 * (control-fork.ts).
 */
import { json, type Reply } from '../http/respond.ts';
import { createSandbox } from './control-create.ts';
import { forkSandbox } from './control-fork.ts';
import { connectSandbox, killSandbox, pauseSandbox, setTimeout_ } from './control-lifecycle.ts';
import { listSandboxes } from './control-list.ts';
import { visibleSandbox } from './control-sandbox.ts';
import { createSnapshot, deleteSnapshot, listSnapshots } from './control-snapshots.ts';
import { detailOf } from './control-views.ts';
import type { ControlCall, ControlRoute } from './e2b-call.ts';

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
    action: 'sandboxsnapshot.create',
    handle: createSnapshot,
  },
  {
    method: 'GET',
    path: '/snapshots',
    action: 'sandboxsnapshot.list',
    handle: listSnapshots,
  },
  {
    method: 'DELETE',
    path: '/templates/:templateID',
    action: 'sandboxsnapshot.delete',
    handle: deleteSnapshot,
  },
  {
    method: 'POST',
    path: '/sandboxes/:sandboxID/fork',
    action: 'sandbox.fork',
    handle: forkSandbox,
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
