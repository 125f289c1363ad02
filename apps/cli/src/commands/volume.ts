import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, PaddockError, type Volume, VolumePhase } from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { type Column, formatAge, formatResources } from '../output.ts';
import { oneName } from './sandbox.ts';
import { formatBytes } from './storage-flags.ts';

const WAIT_TIMEOUT_MS = 60_000;

export function volumeColumns(now: Date): Column<Volume>[] {
  return [
    { header: 'NAME', value: (v) => v.metadata.name ?? '' },
    { header: 'PHASE', value: (v) => v.status?.phase ?? VolumePhase.Pending },
    { header: 'SIZE', value: (v) => v.spec.size ?? 'unbounded' },
    { header: 'USED', value: (v) => formatBytes(v.status?.usedBytes) },
    { header: 'MOUNTED-BY', value: (v) => (v.status?.mountedBy ?? []).join(',') },
    { header: 'AGE', value: (v) => formatAge(v.metadata.creationTimestamp, now) },
  ];
}

function print(context: CommandContext, items: Volume[], isList: boolean) {
  const columns = volumeColumns(context.io.now());
  context.io.stdout(formatResources(items, { format: context.settings.output, columns, isList }));
}

const create: Command = {
  path: ['volume', 'create'],
  flags: ['size'],
  help: `Usage: paddock volume create NAME [--size SIZE] [-n NAMESPACE] [-o table|json|yaml|name]

Creates a volume that outlives sandboxes and waits until it is Available. --size (16Mi to 16Ti)
caps it: writes past it fail with "No space left on device" in every sandbox that mounts it;
without it the volume is unbounded. Mount it with \`paddock sandbox create --volume
NAME:PATH[:ro]\` or a Sandbox's spec.volumes.

Example:
  paddock volume create pip-cache --size 2Gi
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const name = oneName(args, 'paddock volume create NAME [--size SIZE]');
    const volumes = client.resources('Volume');
    const scope = { namespace: settings.namespace };
    const size = invocation.flags.size;
    await volumes.create(
      {
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Volume',
        metadata: { name },
        spec: size === undefined ? {} : { size },
      },
      scope,
    );
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    let volume = await volumes.get(name, scope);
    while ((volume.status?.phase ?? VolumePhase.Pending) === VolumePhase.Pending) {
      if (Date.now() > deadline)
        throw new PaddockError(ErrorCode.Timeout, `volume "${name}" is still Pending`);
      await sleep(100);
      volume = await volumes.get(name, scope);
    }
    if (volume.status?.phase === VolumePhase.Failed) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `volume "${name}" failed: ${volume.status.message ?? 'unknown reason'}`,
      );
    }
    if (settings.output === OutputFormat.Table) io.stdout(`volume/${name} created\n`);
    else print(context, [volume], false);
    return 0;
  },
};

const list: Command = {
  path: ['volume', 'list'],
  flags: [],
  help: `Usage: paddock volume list [-n NAMESPACE] [-o table|json|yaml|name]

Lists volumes with their phase, size, bytes used and the sandboxes that mount them.

Example:
  paddock volume list -o yaml
`,
  async run(context) {
    if (context.args.length > 0) oneName(['', ...context.args], 'paddock volume list');
    const { items } = await context.client
      .resources('Volume')
      .list({ namespace: context.settings.namespace });
    print(context, items, true);
    return 0;
  },
};

const remove: Command = {
  path: ['volume', 'delete'],
  flags: [],
  help: `Usage: paddock volume delete NAME [-n NAMESPACE]

Deletes a volume and its data. Refused (conflict, naming them) while sandboxes mount it.

Example:
  paddock volume delete pip-cache
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock volume delete NAME');
    await client.resources('Volume').delete(name, { namespace: settings.namespace });
    io.stdout(`volume/${name} deleted\n`);
    return 0;
  },
};

export const volumeCommands: Command[] = [create, list, remove];
