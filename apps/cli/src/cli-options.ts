import { parseArgs } from 'node:util';
import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export const OutputFormat = { Table: 'table', Json: 'json', Yaml: 'yaml', Name: 'name' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

/** Flags every command (except `up`) accepts. */
export const GLOBAL_FLAGS = ['server', 'token', 'namespace', 'output', 'help', 'context'] as const;

/** Every flag a command may accept; each command names the ones it does in `flags`. */
export const FLAG_SPEC = {
  server: { type: 'string' },
  token: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  template: { type: 'string' },
  cluster: { type: 'boolean' },
  filename: { type: 'string', short: 'f' },
  follow: { type: 'boolean' },
  role: { type: 'string' },
  actor: { type: 'string' },
  action: { type: 'string' },
  limit: { type: 'string' },
  local: { type: 'string' },
  context: { type: 'string' },
  'token-stdin': { type: 'boolean' },
  home: { type: 'string' },
  watch: { type: 'boolean', short: 'w' },
  'ignore-not-found': { type: 'boolean' },
  harness: { type: 'string' },
  model: { type: 'string' },
  provider: { type: 'string' },
  'system-prompt': { type: 'string' },
  'max-usd': { type: 'string' },
  'max-turns': { type: 'string' },
  timeout: { type: 'string' },
  'agent-file': { type: 'string' },
  sandbox: { type: 'string' },
  detach: { type: 'boolean', short: 'd' },
  interactive: { type: 'boolean', short: 'i' },
  verbose: { type: 'boolean', short: 'v' },
  type: { type: 'string' },
  description: { type: 'string' },
  'from-env': { type: 'string' },
  'from-file': { type: 'string' },
  'value-stdin': { type: 'boolean' },
  replace: { type: 'boolean' },
  values: { type: 'string' },
  set: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  kubeconfig: { type: 'string' },
  purge: { type: 'boolean' },
  existing: { type: 'boolean' },
  'repo-url': { type: 'string' },
  'api-port': { type: 'string' },
  'http-port': { type: 'string' },
  'https-port': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'group-by': { type: 'string' },
  user: { type: 'string' },
  'cluster-name': { type: 'string' },
  profile: { type: 'string' },
  force: { type: 'boolean' },
  to: { type: 'string' },
  sync: { type: 'boolean' },
  tail: { type: 'string' },
  container: { type: 'string', short: 'c' },
  'auto-resume': { type: 'boolean' },
  signal: { type: 'string' },
  count: { type: 'string' },
  size: { type: 'string' },
  ttl: { type: 'string' },
  'keep-last': { type: 'string' },
  snapshot: { type: 'string' },
  'from-snapshot': { type: 'string' },
  volume: { type: 'string', multiple: true },
} as const;
export type FlagName = keyof typeof FLAG_SPEC;

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const Settings = z.object({
  server: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  token: z.string().min(1, 'must not be empty').optional(),
  namespace: z.string().regex(NAME, 'must be a DNS label (lowercase letters, digits, -)'),
  output: z.enum(Object.values(OutputFormat), {
    error: `must be one of ${Object.values(OutputFormat).join(', ')}`,
  }),
});
export type Settings = z.infer<typeof Settings>;

export type Invocation = {
  /** Words before `--`, flags removed: the command path and its arguments. */
  positionals: string[];
  /** Words after `--` (the argv of `sandbox exec`). */
  rest: string[] | undefined;
  flags: {
    [K in FlagName]?: (typeof FLAG_SPEC)[K] extends { multiple: true }
      ? string[]
      : (typeof FLAG_SPEC)[K]['type'] extends 'string'
        ? string
        : boolean;
  };
  /** Names of flags given, as typed (`--template`), to check against the command's own. */
  given: Array<{ name: FlagName; raw: string }>;
  /** Unknown flags, missing values: reported together with every other problem. */
  issues: Issue[];
};

export type Issue = { path: string; message: string };

export function usageError(issues: Issue[]): PaddockError {
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new PaddockError(ErrorCode.ValidationFailed, `invalid arguments: ${summary}`, { issues });
}

/** Splits argv into positionals, flags and the words after `--`; unknown flags fail together. */
export function parseInvocation(argv: readonly string[]): Invocation {
  const dashes = argv.indexOf('--');
  const words = dashes === -1 ? [...argv] : argv.slice(0, dashes);
  const rest = dashes === -1 ? undefined : argv.slice(dashes + 1);
  const { values, positionals, tokens } = parseArgs({
    args: words,
    options: FLAG_SPEC,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const issues: Issue[] = [];
  const given: Invocation['given'] = [];
  const flags: Record<string, string | string[] | boolean> = {};
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!Object.hasOwn(FLAG_SPEC, token.name)) {
      issues.push({ path: token.rawName, message: 'unknown flag' });
      continue;
    }
    const name = token.name as FlagName;
    const isString = FLAG_SPEC[name].type === 'string';
    if (isString && token.value === undefined) {
      issues.push({ path: token.rawName, message: 'needs a value' });
    } else if (!isString && token.value !== undefined) {
      issues.push({ path: token.rawName, message: 'takes no value' });
    } else {
      given.push({ name, raw: token.rawName });
      flags[name] = values[name] as string | string[] | boolean;
    }
  }
  return { positionals, rest, flags, given, issues };
}

/** The flags given that the command does not take. */
export function foreignFlags(
  invocation: Invocation,
  allowed: readonly FlagName[],
  command: string,
): Issue[] {
  return invocation.given
    .filter((flag) => !allowed.includes(flag.name) && !GLOBAL_FLAGS.includes(flag.name as never))
    .map((flag) => ({ path: flag.raw, message: `not a flag of "${command}"` }));
}

/**
 * Resolves once: flag > environment > context (from the config file) > default. Throws
 * `validation_failed` naming every problem: `earlier` ones (unknown flags) and each bad value.
 */
export function resolveSettings(
  flags: Invocation['flags'],
  env: Readonly<Record<string, string | undefined>>,
  earlier: readonly Issue[] = [],
  context: { server: string; token?: string | undefined; namespace?: string | undefined } = {
    server: DEFAULT_SERVER,
  },
): Settings {
  const server = flags.server ?? env.PADDOCK_URL ?? context.server;
  // A context's key goes only to that context's server, never to one named by flag or env.
  const token =
    flags.token ?? env.PADDOCK_TOKEN ?? (server === context.server ? context.token : undefined);
  const result = Settings.safeParse({
    server,
    ...(token && { token }),
    namespace: flags.namespace ?? env.PADDOCK_NAMESPACE ?? context.namespace ?? 'default',
    output: flags.output ?? OutputFormat.Table,
  });
  const issues = [
    ...earlier,
    ...(result.error?.issues ?? []).map((issue) => ({
      path: `--${String(issue.path[0] ?? '')}`,
      message: issue.message,
    })),
  ];
  if (issues.length > 0 || !result.success) throw usageError(issues);
  return result.data;
}
