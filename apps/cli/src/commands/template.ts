import type { ResolvedTemplate } from '@paddock/api';
import { type AnyTemplate, type WatchEvent, WatchEventType } from '@paddock/core';
import { Document, isMap, isScalar } from 'yaml';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { type Column, formatAge, formatResources } from '../output.ts';
import { watchNeedsList } from './get.ts';
import { oneName } from './sandbox.ts';
import { mergeStreams, printWatch, resourceWatch } from './watch-list.ts';

const CLUSTER = 'ClusterSandboxTemplate';

function templateColumns(now: Date): Column<AnyTemplate>[] {
  const inherits = (t: AnyTemplate) => {
    const parent = t.spec.inheritsFrom;
    return parent === undefined ? '-' : `${parent.kind ?? 'SandboxTemplate'}/${parent.name}`;
  };
  return [
    { header: 'NAME', value: (t) => t.metadata.name ?? '' },
    {
      header: 'SCOPE',
      value: (t) => (t.kind === CLUSTER ? 'Cluster' : (t.metadata.namespace ?? '')),
    },
    { header: 'INHERITS', value: inherits },
    { header: 'ISOLATION', value: (t) => t.spec.isolation ?? '-' },
    { header: 'EGRESS', value: (t) => t.spec.network?.egress ?? '-' },
    { header: 'AGE', value: (t) => formatAge(t.metadata.creationTimestamp, now) },
  ];
}

type TemplateSource = {
  list(): Promise<{ items: AnyTemplate[]; metadata: { resourceVersion?: string | undefined } }>;
  watch(from: {
    resourceVersion?: string;
    signal: AbortSignal;
  }): AsyncIterable<WatchEvent<AnyTemplate>>;
};

/** Where templates come from: cluster ones only with --cluster, else those and the namespace's. */
function sources({ client, settings }: CommandContext, isClusterOnly: boolean): TemplateSource[] {
  const scope = { namespace: settings.namespace };
  const cluster = client.resources(CLUSTER);
  const local = client.resources('SandboxTemplate');
  const both: TemplateSource[] = [
    { list: () => cluster.list(scope), watch: (from) => cluster.watch({ ...scope, ...from }) },
    { list: () => local.list(scope), watch: (from) => local.watch({ ...scope, ...from }) },
  ];
  return isClusterOnly ? both.slice(0, 1) : both;
}

const list: Command = {
  path: ['template', 'list'],
  flags: ['cluster', 'watch'],
  help: `Usage: paddock template list [--cluster] [-n NAMESPACE] [-o table|json|yaml|name] [-w]

Lists ClusterSandboxTemplates and the SandboxTemplates of the namespace (only cluster ones with
--cluster): NAME, SCOPE, INHERITS, ISOLATION, EGRESS, AGE. Values a template inherits show as -
(see paddock template resolve). With --watch (-w), keeps printing a row per change.

Example:
  paddock template list
  paddock template list --cluster -o name
`,
  async run(context) {
    if (context.args.length > 0) oneName(['', ...context.args], 'paddock template list');
    const from = sources(context, context.invocation.flags.cluster === true);
    const lists = await Promise.all(from.map((source) => source.list()));
    const items = lists.flatMap((l) => l.items);
    if (!context.invocation.flags.watch) {
      context.io.stdout(
        formatResources(items, {
          format: context.settings.output,
          columns: templateColumns(context.io.now()),
          isList: true,
        }),
      );
      return 0;
    }
    const watches = lists.map((l, i) =>
      resourceWatch(l, (since) => from[i]?.watch(since) ?? mergeStreams([]), templateColumns),
    );
    const [first] = watches;
    if (first === undefined) return 0;
    return printWatch(context, {
      ...first,
      initial: items.map((object) => ({ type: WatchEventType.Added, object })),
      stream: (signal) => mergeStreams(watches.map((w) => w.stream(signal))),
    });
  },
};

const get: Command = {
  path: ['template', 'get'],
  flags: ['cluster', 'watch'],
  help: `Usage: paddock template get NAME [--cluster] [-n NAMESPACE] [-o table|json|yaml|name]

Shows one SandboxTemplate of the namespace, or with --cluster a ClusterSandboxTemplate, as
written (paddock template resolve shows it after inheritance).

Example:
  paddock template get python --cluster -o yaml
`,
  async run({ args, invocation, settings, client, io }) {
    const name = oneName(args, 'paddock template get NAME [--cluster]');
    if (invocation.flags.watch) throw watchNeedsList('paddock template list --watch');
    const api = client.resources(invocation.flags.cluster ? CLUSTER : 'SandboxTemplate');
    const template: AnyTemplate = await api.get(name, { namespace: settings.namespace });
    io.stdout(
      formatResources([template], {
        format: settings.output,
        columns: templateColumns(io.now()),
        isList: false,
      }),
    );
    return 0;
  },
};

/** Labels of the templates that set `field` or anything below it, in merge order. */
export function sourcesOf(resolved: ResolvedTemplate, field: string): string[] {
  const labels = new Set<string>();
  for (const [path, label] of Object.entries(resolved.origins)) {
    if (path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`)) {
      labels.add(label);
    }
  }
  return resolved.chain.filter((label) => labels.has(label));
}

/** The resolved spec as YAML, each top-level field under a `# from <Kind>/<name>` comment. */
export function formatResolved(resolved: ResolvedTemplate): string {
  const document = new Document(resolved.spec);
  const overridable = resolved.overridable.length > 0 ? resolved.overridable.join(', ') : 'none';
  document.commentBefore = [
    ` ${resolved.chain.at(-1) ?? resolved.template.name} after inheritance`,
    ` chain: ${resolved.chain.join(' → ')}`,
    ` a Sandbox may override: ${overridable}`,
  ].join('\n');
  if (isMap(document.contents)) {
    for (const pair of document.contents.items) {
      if (!isScalar(pair.key)) continue;
      const from = sourcesOf(resolved, String(pair.key.value));
      if (from.length > 0) pair.key.commentBefore = ` from ${from.join(', ')}`;
    }
  }
  return document.toString();
}

const resolve: Command = {
  path: ['template', 'resolve'],
  flags: ['cluster'],
  help: `Usage: paddock template resolve NAME [--cluster] [-n NAMESPACE] [-o json|yaml]

Shows a template after inheritance: the merged spec as YAML with, above each field, the
template(s) it came from (# from ClusterSandboxTemplate/python), the inheritance chain and what
a Sandbox may override. -o json and -o yaml print the server's answer, with the origin of every
nested value. A cycle or a chain that is too deep is template_invalid.

Example:
  paddock template resolve python --cluster
`,
  async run({ args, invocation, settings, client, io }) {
    const name = oneName(args, 'paddock template resolve NAME [--cluster]');
    const resolved = await client.templates.resolve(name, {
      namespace: settings.namespace,
      cluster: invocation.flags.cluster === true,
    });
    switch (settings.output) {
      case OutputFormat.Json:
        io.stdout(`${JSON.stringify(resolved, null, 2)}\n`);
        break;
      case OutputFormat.Yaml:
        io.stdout(new Document(resolved).toString());
        break;
      case OutputFormat.Name:
        io.stdout(`${(resolved.chain.at(-1) ?? name).toLowerCase()}\n`);
        break;
      default:
        io.stdout(formatResolved(resolved));
    }
    return 0;
  },
};

export const templateCommands: readonly Command[] = [list, get, resolve];
