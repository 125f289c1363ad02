import { ErrorCode, isPaddockError, type Kind, PaddockError } from '@paddock/core';
import type { Command, CommandContext } from '../command.ts';
import { kindFromWord } from './get.ts';
import { isNotFound, readManifests } from './read-manifests.ts';

type Target = { kind: Kind; name: string; namespace: string };

/** Deletes one object; resolves `false` when it did not exist. Other failures are thrown. */
async function deleteOne({ client }: CommandContext, target: Target): Promise<boolean> {
  try {
    await client.resources(target.kind).delete(target.name, { namespace: target.namespace });
    return true;
  } catch (error) {
    if (isPaddockError(error) && isNotFound(error.code)) return false;
    throw error;
  }
}

async function targetsOf(context: CommandContext): Promise<Target[]> {
  const { args, invocation, settings } = context;
  if (invocation.flags.filename !== undefined) {
    const resources = await readManifests(context, 'delete');
    return resources.map((r) => ({
      kind: r.kind,
      name: r.metadata.name ?? '',
      namespace: r.metadata.namespace ?? settings.namespace,
    }));
  }
  const [word, ...names] = args;
  if (word === undefined || names.length === 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      'usage: paddock delete KIND NAME… or paddock delete -f FILE|-',
      {
        issues: [
          word === undefined
            ? { path: 'KIND', message: 'is required (or -f FILE)' }
            : { path: 'NAME', message: 'is required' },
        ],
      },
    );
  }
  const kind = kindFromWord(word);
  return names.map((name) => ({ kind, name, namespace: settings.namespace }));
}

export const deleteCommand: Command = {
  path: ['delete'],
  flags: ['filename', 'ignore-not-found'],
  help: `Usage: paddock delete KIND NAME… [-n NAMESPACE] [--ignore-not-found]
       paddock delete -f FILE|- [--ignore-not-found]

Deletes resources named on the command line, or every resource of a multi-document YAML (or
JSON) file (the mirror of apply -f), and prints <kind>/<name> deleted for each. A resource that
does not exist is reported as <kind>/<name> not found: with --ignore-not-found that is fine,
without it the command tries every other one and then exits with the not-found code (3).

Example:
  paddock delete -f manifests.yaml
  paddock delete sandboxtemplate small --ignore-not-found
`,
  async run(context) {
    const { io, invocation } = context;
    const isIgnoring = invocation.flags['ignore-not-found'] === true;
    const missing: string[] = [];
    for (const target of await targetsOf(context)) {
      const label = `${target.kind.toLowerCase()}/${target.name}`;
      if (await deleteOne(context, target)) {
        io.stdout(`${label} deleted\n`);
      } else if (isIgnoring) {
        io.stdout(`${label} not found\n`);
      } else {
        io.stderr(`${label} not found\n`);
        missing.push(label);
      }
    }
    if (missing.length > 0) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `${missing.length} not found: ${missing.join(', ')}`,
        { issues: missing.map((label) => ({ path: label, message: 'not found' })) },
      );
    }
    return 0;
  },
};
