import { forkSandbox } from '@paddock/client';
import { SandboxPhase } from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { formatResources } from '../output.ts';
import { sandboxColumns } from './get.ts';
import { oneName } from './sandbox.ts';
import { retentionOf, waitForSnapshot } from './snapshot.ts';
import { wholeNumber } from './storage-flags.ts';
import { waitForPhase } from './wait-for-phase.ts';

const fork: Command = {
  path: ['sandbox', 'fork'],
  flags: ['count', 'snapshot', 'ttl', 'keep-last'],
  help: `Usage: paddock sandbox fork NAME [--count N] [--snapshot SNAPSHOT] [--ttl DURATION]
       [--keep-last N] [-n NAMESPACE] [-o table|json|yaml|name]

Forks a sandbox into N copies (default 1, at most 50) that diverge independently: takes a
snapshot of its workspace (named SNAPSHOT, else NAME-fork-<time>; --ttl and --keep-last as for
\`paddock snapshot create\`), then creates SNAPSHOT-1 … SNAPSHOT-N from it, with the same
template, overrides and volumes, and waits until every copy is Running.

Example:
  paddock sandbox fork web --count 3
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const name = oneName(args, 'paddock sandbox fork NAME [--count N]');
    const count = wholeNumber('--count', invocation.flags.count, 1, 50) ?? 1;
    const retention = retentionOf(context);
    const result = await forkSandbox(client, name, {
      count,
      namespace: settings.namespace,
      ...(invocation.flags.snapshot === undefined
        ? {}
        : { snapshotName: invocation.flags.snapshot }),
      ...(retention === undefined ? {} : { retention }),
    });
    await waitForSnapshot(context, client, result.snapshot);
    const copies = [];
    for (const copy of result.sandboxes)
      copies.push(await waitForPhase(context, copy, SandboxPhase.Running));
    if (settings.output === OutputFormat.Table) {
      io.stdout(`snapshot/${result.snapshot} ready\n`);
      for (const copy of result.sandboxes) io.stdout(`sandbox/${copy} created\n`);
    } else {
      const columns = sandboxColumns(io.now());
      io.stdout(formatResources(copies, { format: settings.output, columns, isList: true }));
    }
    return 0;
  },
};

export const sandboxForkCommands: Command[] = [fork];
