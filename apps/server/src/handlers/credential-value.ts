import type { CreateCredentialBody } from '@paddock/api';
import { CredentialType, ErrorCode, PaddockError } from '@paddock/core';
import { inspectTar, memberPath, type TarEntry } from '../tar-archive.ts';

function invalid(field: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `invalid body: ${field}: ${message}`, {
    issues: [{ path: field, message }],
  });
}

/** Why a files credential's archive cannot be placed at a mount path (exactly one directory). */
function oneDirectoryProblem(entries: readonly TarEntry[]): string | undefined {
  const tops = [
    ...new Set(entries.map((e) => memberPath(e.name)[0]).filter((t) => t !== undefined)),
  ];
  const [top] = tops;
  if (top === undefined) return 'holds nothing';
  if (tops.length > 1) {
    const shown = tops.slice(0, 3).map((t) => JSON.stringify(t));
    return `holds ${tops.length} top-level entries (${shown.join(', ')}${tops.length > 3 ? ', …' : ''})`;
  }
  const isDirectory = entries.some((e) => {
    const parts = memberPath(e.name);
    return parts.length > 1 || e.type === '5';
  });
  return isDirectory ? undefined : `holds the file ${JSON.stringify(top)}, not a directory`;
}

function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The bytes of a credential creation, checked against what its type will be used for, so that
 * nothing is stored that fails only later, in a run: a `files` value is a tar archive of exactly
 * one directory (what a mount extracts), an `env` value is UTF-8 text without NUL (an environment
 * variable), an `apiKey` is UTF-8 text without control characters (it goes into an HTTP header).
 * A bad value is `validation_failed` naming `value` or `valueBase64`.
 */
export function credentialValue(body: CreateCredentialBody): Buffer {
  const field = body.value === undefined ? 'valueBase64' : 'value';
  const bytes =
    body.value === undefined
      ? Buffer.from(body.valueBase64 ?? '', 'base64')
      : Buffer.from(body.value, 'utf8');
  if (body.type === CredentialType.Files) {
    const inspection = inspectTar(bytes);
    const problem =
      'problem' in inspection ? inspection.problem : oneDirectoryProblem(inspection.entries);
    if (problem !== undefined) {
      throw invalid(
        field,
        `a files credential is a tar archive of one directory; this one ${problem}`,
      );
    }
    return bytes;
  }
  const text = utf8(bytes);
  if (text === undefined) throw invalid(field, `an ${body.type} credential must be UTF-8 text`);
  if (body.type === CredentialType.Env && text.includes('\0')) {
    throw invalid(
      field,
      'an env credential must not contain NUL (it becomes an environment variable)',
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (body.type === CredentialType.ApiKey && /[\u0000-\u001f\u007f]/.test(text)) {
    throw invalid(
      field,
      'an apiKey credential must be one line without control characters (it is sent in an HTTP header)',
    );
  }
  return bytes;
}
