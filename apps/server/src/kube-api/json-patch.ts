/**
 * The two patch types the API server serves for custom resources: JSON patch (RFC 6902,
 * `application/json-patch+json`) and JSON merge patch (RFC 7386, `application/merge-patch+json`).
 * Strategic merge patch needs Go struct tags a custom resource does not have: refused, as a
 * cluster refuses it for CRDs. Failures are `validation_failed` naming the operation.
 */
import { ErrorCode, PaddockError } from '@paddock/core';

type Json = unknown;
type Container = Record<string, Json> | Json[];

function invalid(field: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${field}: ${message}`, {
    issues: [{ path: field, message }],
  });
}

/** RFC 7386: objects merge key by key, `null` removes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, Json> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, Json>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, Json>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

function tokensOf(pointer: string, field: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalid(field, `"${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(root: Json, tokens: string[], field: string): { parent: Container; key: string } {
  let current = root;
  for (const token of tokens.slice(0, -1)) {
    if (current === null || typeof current !== 'object') {
      throw invalid(field, `no such path: /${tokens.join('/')}`);
    }
    current = Array.isArray(current)
      ? current[Number(token)]
      : (current as Record<string, Json>)[token];
  }
  if (current === null || typeof current !== 'object') {
    throw invalid(field, `no such path: /${tokens.join('/')}`);
  }
  return { parent: current as Container, key: tokens.at(-1) ?? '' };
}

function read(root: Json, pointer: string, field: string): Json {
  const tokens = tokensOf(pointer, field);
  if (tokens.length === 0) return root;
  const { parent, key } = parentOf(root, tokens, field);
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw invalid(field, `no such path: ${pointer}`);
  return value;
}

function remove(root: Json, pointer: string, field: string): Json {
  const tokens = tokensOf(pointer, field);
  const { parent, key } = parentOf(root, tokens, field);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw invalid(field, `no such index: ${pointer}`);
    }
    return parent.splice(index, 1)[0];
  }
  if (!(key in parent)) throw invalid(field, `no such path: ${pointer}`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function add(root: Json, pointer: string, value: Json, field: string, isReplace: boolean): Json {
  const tokens = tokensOf(pointer, field);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(root, tokens, field);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw invalid(field, `no such index: ${pointer}`);
    }
    if (isReplace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else {
    if (isReplace && !(key in parent)) throw invalid(field, `no such path: ${pointer}`);
    parent[key] = value;
  }
  return root;
}

const isDeepEqual = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);

/** RFC 6902 on a copy of `target`. */
export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw invalid('(body)', 'a JSON patch is an array of operations');
  let doc = structuredClone(target);
  patch.forEach((raw: unknown, i) => {
    const field = `[${i}]`;
    if (raw === null || typeof raw !== 'object') throw invalid(field, 'is not an operation');
    const { op, path, from, value } = raw as Record<string, unknown>;
    if (typeof path !== 'string') throw invalid(`${field}.path`, 'is required');
    switch (op) {
      case 'add':
        doc = add(doc, path, structuredClone(value), field, false);
        break;
      case 'replace':
        doc = add(doc, path, structuredClone(value), field, true);
        break;
      case 'remove':
        remove(doc, path, field);
        break;
      case 'move':
      case 'copy': {
        if (typeof from !== 'string') throw invalid(`${field}.from`, 'is required');
        const moved =
          op === 'move' ? remove(doc, from, field) : structuredClone(read(doc, from, field));
        doc = add(doc, path, moved, field, false);
        break;
      }
      case 'test':
        if (!isDeepEqual(read(doc, path, field), value)) {
          throw invalid(field, `test failed: ${path} is not ${JSON.stringify(value)}`);
        }
        break;
      default:
        throw invalid(
          `${field}.op`,
          `"${String(op)}" is not add, remove, replace, move, copy or test`,
        );
    }
  });
  return doc;
}
