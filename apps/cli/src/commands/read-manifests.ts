import { readFile } from 'node:fs/promises';
import {
  type AnyResource,
  ErrorCode,
  isPaddockError,
  PaddockError,
  parseResource,
} from '@paddock/core';
import { parseAllDocuments } from 'yaml';
import type { CommandContext } from '../command.ts';

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

/**
 * The resources of `-f FILE` (or stdin with `-f -`) for `verb` (`apply`, `delete`, …), which takes
 * no NAME arguments. Unreadable files and bad documents are `validation_failed`.
 */
export async function readManifests(
  { args, invocation, io }: Pick<CommandContext, 'args' | 'invocation' | 'io'>,
  verb: string,
): Promise<AnyResource[]> {
  const file = invocation.flags.filename;
  if (file === undefined || args.length > 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, `usage: paddock ${verb} -f FILE|-`, {
      issues: [{ path: '-f', message: file === undefined ? 'is required' : 'no NAME arguments' }],
    });
  }
  const text = file === '-' ? await io.readStdin() : await readManifestFile(file);
  return parseManifests(text, file === '-' ? 'stdin' : file);
}

/** Whether a code says the object (or its template) does not exist. */
export function isNotFound(code: ErrorCode): boolean {
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
