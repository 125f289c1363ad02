import { readFile } from 'node:fs/promises';
import type { KindInput } from '@paddock/client';
import {
  type AnyResource,
  ErrorCode,
  isPaddockError,
  type Kind,
  PaddockError,
  parseResource,
} from '@paddock/core';
import { parseAllDocuments } from 'yaml';
import type { Command } from '../command.ts';

/** Every non-empty document of a multi-document YAML (or JSON) text, validated as a resource. */
export function parseManifests(text: string, source: string): AnyResource[] {
  const resources: AnyResource[] = [];
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const where = `${source} document ${index + 1}`;
    if (document.errors.length > 0) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `${where}: ${document.errors.map((e) => e.message).join('; ')}`,
        { issues: document.errors.map((e) => ({ path: where, message: e.message })) },
      );
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    try {
      resources.push(parseResource(value));
    } catch (error) {
      if (isPaddockError(error)) {
        throw new PaddockError(error.code, `${where}: ${error.message}`, error.details);
      }
      throw error;
    }
  });
  return resources;
}

const comparable = (r: AnyResource) =>
  JSON.stringify([r.metadata.labels, r.metadata.annotations, 'spec' in r ? r.spec : undefined]);

export const applyCommand: Command = {
  path: ['apply'],
  flags: ['filename'],
  help: `Usage: paddock apply -f FILE|- [-n NAMESPACE]

Creates or updates every resource of a multi-document YAML (or JSON) file, or of stdin with
-f -, and prints <kind>/<name> created, configured or unchanged for each. A namespace in the
manifest wins over -n.

Example:
  paddock apply -f sandbox.yaml
  cat manifests.yaml | paddock apply -f -
`,
  async run({ args, invocation, settings, client, io }) {
    const file = invocation.flags.filename;
    if (file === undefined || args.length > 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'usage: paddock apply -f FILE|-', {
        issues: [{ path: '-f', message: file === undefined ? 'is required' : 'no NAME arguments' }],
      });
    }
    const text = file === '-' ? await io.readStdin() : await readManifestFile(file);
    const resources = parseManifests(text, file === '-' ? 'stdin' : file);
    for (const resource of resources) {
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

function isNotFound(code: ErrorCode): boolean {
  return (
    code === ErrorCode.NotFound ||
    code === ErrorCode.SandboxNotFound ||
    code === ErrorCode.TemplateNotFound
  );
}

async function readManifestFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { issues: [{ path: '-f', message: `cannot read ${path}` }] },
    );
  }
}
