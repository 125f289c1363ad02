import { setTimeout as sleep } from 'node:timers/promises';
import type { PaddockClient } from '@paddock/client';
import {
  ErrorCode,
  PaddockError,
  type SandboxSnapshot,
  SnapshotPhase,
  type SnapshotRetention,
} from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { type Column, formatAge, formatResources } from '../output.ts';
import { startProgress } from '../progress.ts';
import { oneName } from './sandbox.ts';
import { formatBytes, wholeNumber } from './storage-flags.ts';

const WAIT_TIMEOUT_MS = 300_000;
const POLL_MS = 200;

export function snapshotColumns(now: Date): Column<SandboxSnapshot>[] {
  return [
    { header: 'NAME', value: (s) => s.metadata.name ?? '' },
    { header: 'SANDBOX', value: (s) => s.spec.sandboxRef.name },
    { header: 'PHASE', value: (s) => s.status?.phase ?? SnapshotPhase.Pending },
    { header: 'SIZE', value: (s) => formatBytes(s.status?.sizeBytes) },
    { header: 'CONTENTS', value: (s) => (s.status?.contents ?? []).join(',') },
    {
      header: 'AGE',
      value: (s) => formatAge(s.status?.createdAt ?? s.metadata.creationTimestamp, now),
    },
  ];
}

/** The retention the flags ask for (`--ttl`, `--keep-last`), if any. */
export function retentionOf(context: CommandContext): SnapshotRetention | undefined {
  const { flags } = context.invocation;
  const keepLast = wholeNumber('--keep-last', flags['keep-last'], 1, 1000);
  if (flags.ttl === undefined && keepLast === undefined) return undefined;
  return {
    ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
    ...(keepLast === undefined ? {} : { keepLast }),
  };
}

/** Waits until the snapshot is Ready; a Failed one is `runtime_unavailable` with its message. */
export async function waitForSnapshot(
  context: CommandContext,
  client: Pick<PaddockClient, 'resources'>,
  name: string,
): Promise<SandboxSnapshot> {
  const progress = startProgress(context.io.stderr, context.io.isInteractive, `snapshot/${name}`);
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  try {
    for (;;) {
      const snapshot = await client
        .resources('SandboxSnapshot')
        .get(name, { namespace: context.settings.namespace });
      const phase = snapshot.status?.phase ?? SnapshotPhase.Pending;
      progress.update(`snapshot/${name}: ${phase}`);
      if (phase === SnapshotPhase.Ready) return snapshot;
      if (phase === SnapshotPhase.Failed) {
        throw new PaddockError(
          ErrorCode.RuntimeUnavailable,
          `snapshot "${name}" failed: ${snapshot.status?.message ?? 'unknown reason'}`,
        );
      }
      if (Date.now() > deadline)
        throw new PaddockError(ErrorCode.Timeout, `snapshot "${name}" is still ${phase}`);
      await sleep(POLL_MS);
    }
  } finally {
    progress.stop();
  }
}

function print(context: CommandContext, items: SandboxSnapshot[], isList: boolean) {
  const columns = snapshotColumns(context.io.now());
  context.io.stdout(formatResources(items, { format: context.settings.output, columns, isList }));
}

const create: Command = {
  path: ['snapshot', 'create'],
  flags: ['sandbox', 'ttl', 'keep-last'],
  help: `Usage: paddock snapshot create NAME --sandbox SANDBOX [--ttl DURATION] [--keep-last N]
       [-n NAMESPACE] [-o table|json|yaml|name]

Takes a snapshot of a sandbox's workspace (its memory only where the runtime can checkpoint
processes: not locally) and waits until it is Ready. The snapshot outlives the sandbox; start
new sandboxes from it with \`paddock sandbox create --from-snapshot\`. --ttl deletes it that
long after; --keep-last N keeps only the newest N snapshots of that sandbox.

Example:
  paddock snapshot create before-refactor --sandbox web --keep-last 5
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const name = oneName(args, 'paddock snapshot create NAME --sandbox SANDBOX');
    const sandbox = invocation.flags.sandbox;
    if (sandbox === undefined) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'snapshot create needs --sandbox', {
        issues: [{ path: '--sandbox', message: 'is required' }],
      });
    }
    const retention = retentionOf(context);
    await client.resources('SandboxSnapshot').create(
      {
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxSnapshot',
        metadata: { name },
        spec: { sandboxRef: { name: sandbox }, ...(retention ? { retention } : {}) },
      },
      { namespace: settings.namespace },
    );
    const ready = await waitForSnapshot(context, client, name);
    if (settings.output === OutputFormat.Table)
      io.stdout(`snapshot/${name} ready (${formatBytes(ready.status?.sizeBytes)})\n`);
    else print(context, [ready], false);
    return 0;
  },
};

const list: Command = {
  path: ['snapshot', 'list'],
  flags: ['sandbox'],
  help: `Usage: paddock snapshot list [--sandbox SANDBOX] [-n NAMESPACE] [-o table|json|yaml|name]

Lists snapshots with their sandbox, phase, size, contents and age (since the copy was taken);
--sandbox lists only that sandbox's.

Example:
  paddock snapshot list --sandbox web
`,
  async run(context) {
    if (context.args.length > 0) oneName(['', ...context.args], 'paddock snapshot list');
    const { items } = await context.client
      .resources('SandboxSnapshot')
      .list({ namespace: context.settings.namespace });
    const only = context.invocation.flags.sandbox;
    print(
      context,
      items.filter((s) => only === undefined || s.spec.sandboxRef.name === only),
      true,
    );
    return 0;
  },
};

const remove: Command = {
  path: ['snapshot', 'delete'],
  flags: [],
  help: `Usage: paddock snapshot delete NAME [-n NAMESPACE]

Deletes a snapshot and its copy. Sandboxes made from it keep their workspaces.

Example:
  paddock snapshot delete before-refactor
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock snapshot delete NAME');
    await client.resources('SandboxSnapshot').delete(name, { namespace: settings.namespace });
    io.stdout(`snapshot/${name} deleted\n`);
    return 0;
  },
};

export const snapshotCommands: Command[] = [create, list, remove];
