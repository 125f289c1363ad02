// The CLI's own configuration file: named contexts (server, API key, namespace) and which is current.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCode, PaddockError, parseInput } from '@paddock/core';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

const ContextName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');

export const CliContext = z.strictObject({
  name: ContextName,
  server: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  token: z.string().min(1, 'must not be empty').optional(),
  namespace: z.string().min(1, 'must not be empty').optional(),
  /** Who the server said the key belongs to at login, for `context list` (no network needed). */
  user: z.string().optional(),
});
export type CliContext = z.infer<typeof CliContext>;

export const CliConfig = z
  .strictObject({
    currentContext: z.string().default(''),
    contexts: z.array(CliContext).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.contexts.forEach((context, index) => {
      if (seen.has(context.name)) {
        ctx.addIssue({ code: 'custom', path: ['contexts', index, 'name'], message: 'duplicate' });
      }
      seen.add(context.name);
    });
  });
export type CliConfig = z.infer<typeof CliConfig>;

export const EMPTY_CONFIG: CliConfig = { currentContext: '', contexts: [] };

/** The config file: `PADDOCK_CONFIG`, else `$HOME/.paddock/config.yaml`. */
export function cliConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  return env.PADDOCK_CONFIG || join(env.HOME || homedir(), '.paddock', 'config.yaml');
}

/** Reads the file (absent = empty). A broken file is `validation_failed` naming it and each field. */
export function loadCliConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG;
    throw new PaddockError(ErrorCode.ValidationFailed, `cannot read ${path}`, {
      issues: [{ path, message: (error as Error).message }],
    });
  }
  let document: unknown;
  try {
    document = parse(text) ?? {};
  } catch (error) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid config file ${path}: not YAML`, {
      issues: [{ path, message: (error as Error).message.split('\n')[0] ?? 'not YAML' }],
    });
  }
  return parseInput(CliConfig, document, `config file ${path}`);
}

/** Writes atomically (temporary file, then rename), mode 0600 in a 0700 directory: it holds keys. */
export function saveCliConfig(path: string, config: CliConfig): void {
  const checked = parseInput(CliConfig, config, 'config');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, stringify(checked), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function notFound(name: string): PaddockError {
  return new PaddockError(
    ErrorCode.NotFound,
    `context "${name}" not found (see paddock context list)`,
    {
      name,
    },
  );
}

/**
 * The context named, else the current one; undefined without one. An unknown name is `not_found`
 * unless `isNewAllowed` (login creates it).
 */
export function selectContext(
  config: CliConfig,
  name: string | undefined,
  options: { isNewAllowed?: boolean } = {},
): CliContext | undefined {
  const wanted = name ?? config.currentContext;
  if (!wanted) return undefined;
  const found = config.contexts.find((c) => c.name === wanted);
  if (!found && name !== undefined && !options.isNewAllowed) throw notFound(name);
  return found;
}

/** Adds the context or replaces the one of that name, and makes it current. */
export function upsertContext(config: CliConfig, context: CliContext): CliConfig {
  const exists = config.contexts.some((c) => c.name === context.name);
  return {
    currentContext: context.name,
    contexts: exists
      ? config.contexts.map((c) => (c.name === context.name ? context : c))
      : [...config.contexts, context],
  };
}

export function useContext(config: CliConfig, name: string): CliConfig {
  if (!config.contexts.some((c) => c.name === name)) throw notFound(name);
  return { ...config, currentContext: name };
}

/** Removes a context; deleting the current one leaves no current context. */
export function deleteContext(config: CliConfig, name: string): CliConfig {
  if (!config.contexts.some((c) => c.name === name)) throw notFound(name);
  return {
    currentContext: config.currentContext === name ? '' : config.currentContext,
    contexts: config.contexts.filter((c) => c.name !== name),
  };
}

/** Forgets a context's API key, keeping its server and namespace. */
export function forgetToken(config: CliConfig, name: string): CliConfig {
  if (!config.contexts.some((c) => c.name === name)) throw notFound(name);
  return {
    ...config,
    contexts: config.contexts.map((c) => {
      if (c.name !== name) return c;
      const { token: _token, user: _user, ...kept } = c;
      return kept;
    }),
  };
}
