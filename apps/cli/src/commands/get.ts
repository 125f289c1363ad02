import {
  type AnyResource,
  ErrorCode,
  KIND_NAMES,
  KINDS,
  type Kind,
  PaddockError,
  type Sandbox,
} from '@paddock/core';
import type { Command } from '../command.ts';
import { type Column, formatAge, formatResources } from '../output.ts';
import { printWatch, resourceWatch } from './watch-list.ts';

/** A kind named by its kind or its plural, in any case (`sandbox`, `Sandboxes`, `SANDBOX`). */
export function kindFromWord(word: string): Kind {
  const lower = word.toLowerCase();
  const kind = KIND_NAMES.find((k) => k.toLowerCase() === lower || KINDS[k].plural === lower);
  if (kind) return kind;
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `unknown kind "${word}" (expected one of ${KIND_NAMES.join(', ')}, or their plurals)`,
    { issues: [{ path: 'KIND', message: `unknown kind "${word}"` }] },
  );
}

/** `--watch` on a command given one NAME: only lists are watched. */
export function watchNeedsList(usage: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `usage: ${usage} (no NAME with --watch)`, {
    issues: [{ path: '--watch', message: 'watches a list: drop the NAME' }],
  });
}

export function sandboxColumns(now: Date): Column<Sandbox>[] {
  return [
    { header: 'NAME', value: (s) => s.metadata.name ?? '' },
    { header: 'PHASE', value: (s) => s.status?.phase ?? '' },
    { header: 'TEMPLATE', value: (s) => s.spec.templateRef.name },
    { header: 'AGE', value: (s) => formatAge(s.metadata.creationTimestamp, now) },
  ];
}

export function genericColumns(now: Date): Column<AnyResource>[] {
  return [
    { header: 'NAME', value: (r) => r.metadata.name ?? '' },
    { header: 'AGE', value: (r) => formatAge(r.metadata.creationTimestamp, now) },
  ];
}

export const getCommand: Command = {
  path: ['get'],
  flags: ['watch'],
  help: `Usage: paddock get KIND [NAME] [-n NAMESPACE] [-o table|json|yaml|name] [-w]

Lists the resources of a kind, or shows one. KIND is a kind or its plural, in any case:
${KIND_NAMES.join(', ')}. With --watch (-w) a list keeps printing one line per change
(-o json: one JSON watch event per line) until Ctrl-C.

Example:
  paddock get sandboxes
  paddock get clustersandboxtemplate python -o yaml
  paddock get sandboxes --watch
`,
  async run(context) {
    const { args, settings, client, io, invocation } = context;
    const [word, name, ...extra] = args;
    if (word === undefined || extra.length > 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'usage: paddock get KIND [NAME]', {
        issues: [
          { path: 'KIND', message: word === undefined ? 'is required' : 'one NAME at most' },
        ],
      });
    }
    const kind = kindFromWord(word);
    const resources = client.resources(kind);
    const scope = { namespace: settings.namespace };
    const columnsAt = (now: Date) =>
      kind === 'Sandbox' ? (sandboxColumns(now) as Column<AnyResource>[]) : genericColumns(now);
    if (invocation.flags.watch) {
      if (name !== undefined) throw watchNeedsList('paddock get KIND --watch');
      const list = await resources.list(scope);
      const watch = (from: { resourceVersion?: string; signal: AbortSignal }) =>
        resources.watch({ ...scope, ...from });
      return printWatch(context, resourceWatch<AnyResource>(list, watch, columnsAt));
    }
    const items: AnyResource[] =
      name === undefined ? (await resources.list(scope)).items : [await resources.get(name, scope)];
    const columns = columnsAt(io.now());
    io.stdout(
      formatResources(items, { format: settings.output, columns, isList: name === undefined }),
    );
    return 0;
  },
};
