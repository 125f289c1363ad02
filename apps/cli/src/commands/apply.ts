import type { KindInput } from '@paddock/client';
import { type AnyResource, isPaddockError, type Kind } from '@paddock/core';
import type { Command } from '../command.ts';
import { isNotFound, readManifests } from './read-manifests.ts';

/** Kept for importers of the older location. */
export { parseManifests } from './read-manifests.ts';

/**
 * Apply order: what others name comes first (policies and templates, then agents, sandboxes,
 * runs), since the server refuses a reference to an object that does not exist yet.
 */
const APPLY_ORDER: readonly Kind[] = [
  'ClusterPolicy',
  'Policy',
  'ClusterSandboxTemplate',
  'SandboxTemplate',
  'Agent',
  'Sandbox',
  'Run',
];
const byApplyOrder = (a: AnyResource, b: AnyResource) =>
  APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind);

const comparable = (r: AnyResource) =>
  JSON.stringify([r.metadata.labels, r.metadata.annotations, 'spec' in r ? r.spec : undefined]);

export const applyCommand: Command = {
  path: ['apply'],
  flags: ['filename'],
  help: `Usage: paddock apply -f FILE|- [-n NAMESPACE]

Creates or updates every resource of a multi-document YAML (or JSON) file, or of stdin with
-f -, and prints <kind>/<name> created, configured or unchanged for each. A namespace in the
manifest wins over -n. Policies and templates are applied first, then agents, sandboxes and
runs, so a run may come before the agent it names in the file.

Example:
  paddock apply -f sandbox.yaml
  cat manifests.yaml | paddock apply -f -
`,
  async run(context) {
    const { settings, client, io } = context;
    const resources = await readManifests(context, 'apply');
    for (const resource of [...resources].sort(byApplyOrder)) {
      const kind: Kind = resource.kind;
      const name = resource.metadata.name ?? '';
      const scope = { namespace: resource.metadata.namespace ?? settings.namespace };
      const api = client.resources(kind);
      const before = await api.get(name, scope).catch((error: unknown) => {
        if (isPaddockError(error) && isNotFound(error.code)) return undefined;
        throw error;
      });
      const after = await api.apply(resource as KindInput<Kind>, scope);
      const verb =
        before === undefined
          ? 'created'
          : comparable(before) === comparable(after)
            ? 'unchanged'
            : 'configured';
      io.stdout(`${kind.toLowerCase()}/${name} ${verb}\n`);
    }
    return 0;
  },
};
