import { constants } from 'node:os';
import { ErrorCode, isErrorCode, PaddockError, SandboxPhase } from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatResources } from '../output.ts';
import { sandboxColumns } from './get.ts';
import { volumeMount } from './storage-flags.ts';
import { waitForPhase } from './wait-for-phase.ts';
import { printWatch, resourceWatch } from './watch-list.ts';

/** The one NAME of a command, or `validation_failed` showing its usage. */
export function oneName(args: string[], usage: string): string {
  const [name, ...extra] = args;
  if (name === undefined || extra.length > 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, `usage: ${usage}`, {
      issues: [{ path: 'NAME', message: name === undefined ? 'is required' : 'exactly one NAME' }],
    });
  }
  return name;
}

function printSandboxes(
  context: CommandContext,
  items: Parameters<typeof formatResources>[0],
  isList: boolean,
) {
  const columns = sandboxColumns(context.io.now());
  context.io.stdout(
    formatResources(items as never, { format: context.settings.output, columns, isList }),
  );
}

const list: Command = {
  path: ['sandbox', 'list'],
  flags: ['watch'],
  help: `Usage: paddock sandbox list [-n NAMESPACE] [-o table|json|yaml|name] [-w]

Lists the sandboxes of a namespace: NAME, PHASE, TEMPLATE, AGE. With --watch (-w), keeps
printing a row per change (-o json: one JSON watch event per line) until Ctrl-C.

Example:
  paddock sandbox list -o json
  paddock sandbox list --watch
`,
  async run(context) {
    if (context.args.length > 0) oneName(['', ...context.args], 'paddock sandbox list');
    const { sandboxes } = context.client;
    const scope = { namespace: context.settings.namespace };
    const found = await sandboxes.list(scope);
    if (context.invocation.flags.watch) {
      const watch = (from: { resourceVersion?: string; signal: AbortSignal }) =>
        sandboxes.watch({ ...scope, ...from });
      return printWatch(context, resourceWatch(found, watch, sandboxColumns));
    }
    printSandboxes(context, found.items, true);
    return 0;
  },
};

const get: Command = {
  path: ['sandbox', 'get'],
  flags: [],
  help: `Usage: paddock sandbox get NAME [-n NAMESPACE] [-o table|json|yaml|name]

Shows one sandbox.

Example:
  paddock sandbox get scratch -o yaml
`,
  async run(context) {
    const name = oneName(context.args, 'paddock sandbox get NAME');
    const sandbox = await context.client.sandboxes.get(name, {
      namespace: context.settings.namespace,
    });
    printSandboxes(context, [sandbox], false);
    return 0;
  },
};

const create: Command = {
  path: ['sandbox', 'create'],
  flags: ['template', 'cluster', 'from-snapshot', 'volume'],
  help: `Usage: paddock sandbox create NAME --template TEMPLATE [--cluster] [-n NAMESPACE] [-o …]
       [--from-snapshot SNAPSHOT] [--volume NAME:PATH[:ro]]...

Creates a sandbox from a SandboxTemplate of the namespace (or, with --cluster, a
ClusterSandboxTemplate) and waits until it is Running (a spinner shows progress on a terminal).
--from-snapshot starts its workspace from a snapshot (the template defaults to the snapshot's
sandbox's); --volume mounts a volume of the namespace at PATH, read-only with :ro.

Example:
  paddock sandbox create scratch --template python --cluster
  paddock sandbox create retry --from-snapshot before-refactor --volume pip-cache:/cache
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const name = oneName(args, 'paddock sandbox create NAME --template TEMPLATE');
    const fromSnapshot = invocation.flags['from-snapshot'];
    const scope = { namespace: settings.namespace };
    const source =
      fromSnapshot === undefined || invocation.flags.template !== undefined
        ? undefined
        : (await client.resources('SandboxSnapshot').get(fromSnapshot, scope)).status?.source;
    const template = invocation.flags.template ?? source?.templateRef.name;
    if (template === undefined) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'sandbox create needs --template', {
        issues: [{ path: '--template', message: 'is required' }],
      });
    }
    const kind =
      source?.templateRef.kind ??
      (invocation.flags.cluster ? 'ClusterSandboxTemplate' : 'SandboxTemplate');
    const volumes = (invocation.flags.volume ?? []).map(volumeMount);
    await client.sandboxes.create(
      {
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: { name },
        spec: {
          templateRef: { kind, name: template },
          ...(fromSnapshot === undefined ? {} : { fromSnapshot: { name: fromSnapshot } }),
          ...(volumes.length === 0 ? {} : { volumes }),
        },
      },
      scope,
    );
    const sandbox = await waitForPhase(context, name, SandboxPhase.Running);
    if (settings.output === OutputFormat.Table) io.stdout(`sandbox/${name} created\n`);
    else printSandboxes(context, [sandbox], false);
    return 0;
  },
};

const remove: Command = {
  path: ['sandbox', 'delete'],
  flags: [],
  help: `Usage: paddock sandbox delete NAME [-n NAMESPACE]

Deletes a sandbox: its processes are stopped and its workspace removed.

Example:
  paddock sandbox delete scratch
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock sandbox delete NAME');
    await client.sandboxes.delete(name, { namespace: settings.namespace });
    io.stdout(`sandbox/${name} deleted\n`);
    return 0;
  },
};

/** The exit code a shell would report: the process's own, or 128 + the signal's number. */
export function shellExitCode(exitCode: number | null, signal: string | null): number {
  if (exitCode !== null) return exitCode;
  const number = signal ? constants.signals[signal as keyof typeof constants.signals] : undefined;
  return number === undefined ? 1 : 128 + number;
}

const exec: Command = {
  path: ['sandbox', 'exec'],
  flags: ['auto-resume'],
  help: `Usage: paddock sandbox exec NAME [-n NAMESPACE] [--auto-resume] -- COMMAND [ARG…]

Runs a command in a running sandbox (no shell unless you run one), streams its output and exits
with the command's exit code (128 + N when killed by signal N). A sandbox its idle timeout put to
sleep wakes first; a paused one is refused unless --auto-resume resumes it.

Example:
  paddock sandbox exec scratch -- sh -c 'ls -la /workspace'
`,
  async run({ args, invocation, settings, client, io }) {
    const name = oneName(args, 'paddock sandbox exec NAME -- COMMAND [ARG…]');
    const command = invocation.rest ?? [];
    if (command.length === 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'sandbox exec needs a command after --', {
        issues: [{ path: '--', message: 'must be followed by a command' }],
      });
    }
    const events = client.sandboxes.execStream(
      name,
      { command, ...(invocation.flags['auto-resume'] === true ? { autoResume: true } : {}) },
      { namespace: settings.namespace },
    );
    for await (const event of events) {
      switch (event.type) {
        case 'started':
          break;
        case 'stdout':
          io.stdout(event.data);
          break;
        case 'stderr':
          io.stderr(event.data);
          break;
        case 'exit':
          return shellExitCode(event.exitCode, event.signal);
        case 'error':
          throw new PaddockError(
            isErrorCode(event.code) ? event.code : ErrorCode.Internal,
            event.message,
          );
      }
    }
    throw new PaddockError(ErrorCode.Internal, 'the exec stream ended without an exit status');
  },
};

export const sandboxCommands: readonly Command[] = [list, get, create, remove, exec];
