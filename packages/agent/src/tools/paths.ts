/**
 * Where a tool's path argument points. Relative paths resolve against the run's cwd. Unless the
 * config allows it, a path outside cwd is refused, symbolic links included: the nearest existing
 * ancestor is resolved with realpath before the check. The sandbox is the real confinement; this
 * keeps a model's file edits where its work is.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { ToolContext } from './tool.ts';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function realpathOfExisting(path: string): Promise<string> {
  let current = path;
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(await realpath(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(current.slice(parent.length).replace(/^\/+/, ''));
      current = parent;
    }
  }
}

/** The absolute path `path` names; throws `path_outside_sandbox` when it leaves cwd and that is not allowed. */
export async function resolveToolPath(context: ToolContext, path: string): Promise<string> {
  const absolute = resolve(context.cwd, path);
  if (context.allowOutsideCwd) return absolute;
  const root = await realpathOfExisting(context.cwd);
  const real = await realpathOfExisting(absolute);
  if (!isInside(root, real) || !isInside(resolve(context.cwd), absolute)) {
    throw new PaddockError(
      ErrorCode.PathOutsideSandbox,
      `path "${path}" is outside the working directory ${context.cwd}`,
      { path },
    );
  }
  return absolute;
}

/** `path` relative to cwd, for output (absolute when outside). */
export function displayPath(context: ToolContext, path: string): string {
  const rel = relative(context.cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
