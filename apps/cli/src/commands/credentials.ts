import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { CredentialClient } from '@paddock/client';
import { type Credential, CredentialType, ErrorCode, PaddockError } from '@paddock/core';
import { stringify } from 'yaml';
import { z } from 'zod';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { type Column, formatAge, formatList } from '../output.ts';
import { oneName } from './sandbox.ts';
import { attach } from './sandbox-shell.ts';

const Type = z.enum(CredentialType, { error: 'must be apiKey, env or files' });

function invalid(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${path}: ${message}`, {
    issues: [{ path, message }],
  });
}

function credentialColumns(now: Date): Column<Credential>[] {
  return [
    { header: 'NAME', value: (c) => c.name },
    { header: 'TYPE', value: (c) => c.type },
    { header: 'DESCRIPTION', value: (c) => c.description },
    { header: 'AGE', value: (c) => formatAge(c.createdAt, now) },
  ];
}

function printOne(credential: Credential, { settings, io }: CommandContext, verb: string): void {
  switch (settings.output) {
    case OutputFormat.Table:
    case OutputFormat.Name:
      io.stdout(`credential/${credential.name} ${verb}\n`);
      return;
    case OutputFormat.Json:
      io.stdout(`${JSON.stringify(credential, null, 2)}\n`);
      return;
    case OutputFormat.Yaml:
      io.stdout(stringify(credential));
      return;
    default: {
      const unhandled: never = settings.output;
      throw new Error(`unknown output format ${String(unhandled)}`);
    }
  }
}

/** A directory as a tar archive of itself (one top-level directory), via the system `tar`. */
function tarDirectory(path: string): Buffer {
  const full = resolve(path);
  return execFileSync('tar', ['-c', '-f', '-', '-C', dirname(full), basename(full)], {
    maxBuffer: 4 * 1024 * 1024,
  });
}

/** The value of `credentials create` from exactly one of its three sources. */
async function credentialValue(
  { invocation, io, env }: CommandContext,
  type: CredentialType,
): Promise<{ value: string } | { valueBase64: string }> {
  const { flags } = invocation;
  const sources = [flags['from-env'], flags['from-file'], flags['value-stdin']].filter(
    (s) => s !== undefined && s !== false,
  );
  if (sources.length !== 1) {
    throw invalid(
      '--from-env',
      'give exactly one of --from-env VAR, --from-file PATH, --value-stdin',
    );
  }
  if (flags['from-env'] !== undefined) {
    const value = env[flags['from-env']];
    if (value === undefined || value === '') {
      throw invalid('--from-env', `the environment variable ${flags['from-env']} is not set`);
    }
    return { value };
  }
  if (flags['from-file'] !== undefined) {
    const path = flags['from-file'];
    if (type === CredentialType.Files) {
      const isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
      const bytes = isDirectory ? tarDirectory(path) : readFileSync(path);
      return { valueBase64: bytes.toString('base64') };
    }
    return { value: readFileSync(path, 'utf8').replace(/\r?\n$/, '') };
  }
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (type === CredentialType.Files) {
    throw invalid('--value-stdin', 'a files credential comes from --from-file DIR or TAR');
  }
  return { value: text };
}

const create: Command = {
  path: ['credentials', 'create'],
  flags: ['type', 'description', 'from-env', 'from-file', 'value-stdin', 'replace'],
  help: `Usage: paddock credentials create NAME --type apiKey|env|files
         (--from-env VAR | --from-file PATH | --value-stdin) [--description TEXT] [--replace]

Stores a credential, encrypted at rest. The value is write-only: nothing shows it again. A files
credential comes from a directory (--from-file DIR, archived) or a tar of one directory. The
gateway's provider keys are the apiKey credentials "anthropic" and "openai" of namespace
paddock-system (admins only).

Example:
  paddock credentials create anthropic --type apiKey --from-env ANTHROPIC_API_KEY -n paddock-system
  printf %s "$GITHUB_TOKEN" | paddock credentials create gh --type env --value-stdin
`,
  async run(context) {
    const { args, invocation, settings, client } = context;
    const name = oneName(args, 'paddock credentials create NAME --type TYPE --from-env VAR');
    const type = Type.safeParse(invocation.flags.type);
    if (!type.success) throw invalid('--type', type.error.issues[0]?.message ?? 'invalid');
    const value = await credentialValue(context, type.data);
    const credential = await client.credentials.create(
      {
        name,
        type: type.data,
        ...value,
        ...(invocation.flags.description !== undefined && {
          description: invocation.flags.description,
        }),
        ...(invocation.flags.replace === true && { replace: true }),
      },
      { namespace: settings.namespace },
    );
    printOne(credential, context, 'created');
    return 0;
  },
};

const list: Command = {
  path: ['credentials', 'list'],
  flags: [],
  help: `Usage: paddock credentials list [-n NAMESPACE] [-o table|json|yaml|name]

Lists credentials (admins: all of the namespace; users: their own): NAME, TYPE, DESCRIPTION, AGE.
Values are never listed.

Example:
  paddock credentials list -n paddock-system
`,
  async run({ args, settings, client, io }) {
    if (args.length > 0) oneName(['', ...args], 'paddock credentials list');
    const page = await client.credentials.list(undefined, { namespace: settings.namespace });
    io.stdout(
      formatList(page, {
        format: settings.output,
        columns: credentialColumns(io.now()),
        nameOf: (c) => `credential/${c.name}`,
        empty: 'No credentials found.\n',
      }),
    );
    return 0;
  },
};

const remove: Command = {
  path: ['credentials', 'delete'],
  flags: [],
  help: `Usage: paddock credentials delete NAME [-n NAMESPACE]

Deletes a credential. Runs that declare it fail to start afterwards.

Example:
  paddock credentials delete gh
`,
  async run(context) {
    const name = oneName(context.args, 'paddock credentials delete NAME');
    const deleted = await context.client.credentials.delete(name, {
      namespace: context.settings.namespace,
    });
    printOne(deleted, context, 'deleted');
    return 0;
  },
};

/** What `credentials login` knows per CLI: the directory it keeps its login in, and the command. */
const LOGINS = {
  claude: { directory: '/home/user/.claude', command: 'claude login', credential: 'claude-login' },
} as const;

async function saveLogin(
  credentials: CredentialClient,
  tar: Uint8Array,
  name: string,
  namespace: string,
): Promise<Credential> {
  return credentials.create(
    {
      name,
      type: CredentialType.Files,
      valueBase64: Buffer.from(tar).toString('base64'),
      description: 'login directory saved by paddock credentials login',
      replace: true,
    },
    { namespace },
  );
}

const login: Command = {
  path: ['credentials', 'login'],
  flags: ['template'],
  help: `Usage: paddock credentials login claude [-n NAMESPACE] [--template NAME] [-- COMMAND…]

Logs an agent CLI in once, in a writable sandbox (from the cluster template "agent"), and saves
its login directory (~/.claude) as the files credential "claude-login". Runs then get it with
  credentials: [{name: claude-login, as: file, mountPath: /home/user/.claude}]
Without COMMAND an interactive shell opens: run \`claude login\`, then exit. With COMMAND (after
--), that command runs instead of the shell (for scripted logins). The sandbox is deleted after.

Example:
  paddock credentials login claude
`,
  async run({ args, invocation, settings, client, io }) {
    const which = oneName(args, 'paddock credentials login claude');
    if (!Object.hasOwn(LOGINS, which)) throw invalid('CLI', `unknown CLI ${which} (known: claude)`);
    const spec = LOGINS[which as keyof typeof LOGINS];
    const namespace = settings.namespace;
    const sandbox = await client.sandboxes.create(
      {
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: { generateName: `login-${which}-`, namespace },
        spec: {
          templateRef: {
            kind: 'ClusterSandboxTemplate',
            name: invocation.flags.template ?? 'agent',
          },
        },
      },
      { namespace },
    );
    const name = sandbox.metadata.name ?? '';
    try {
      await client.sandboxes.waitFor(name, (s) => s.status?.phase === 'Running', {
        namespace,
        timeoutMs: 120_000,
      });
      let code: number;
      if (invocation.rest !== undefined && invocation.rest.length > 0) {
        const result = await client.sandboxes.exec(
          name,
          { command: invocation.rest, cwd: '/home/user' },
          { namespace },
        );
        io.stdout(result.stdout);
        io.stderr(result.stderr);
        code = result.exitCode ?? 1;
      } else {
        io.stderr(
          `paddock: log in with \`${spec.command}\` in this shell, then exit to save ${spec.directory}\n`,
        );
        const { columns, rows } = process.stdout;
        const size = process.stdout.isTTY ? { cols: columns, rows } : { cols: 80, rows: 24 };
        code = await attach(
          await client.sandboxes.terminal(name, { namespace, ...size }),
          io.stderr,
        );
      }
      if (code !== 0) {
        io.stderr(`paddock: the login ended with code ${code}; nothing saved\n`);
        return code;
      }
      const tar = await client.sandboxes.files
        .download(name, spec.directory, { namespace })
        .catch((error: unknown) => {
          throw new PaddockError(
            ErrorCode.NotFound,
            `the login wrote nothing to ${spec.directory}; nothing saved`,
            { cause: String((error as Error).message) },
          );
        });
      const saved = await saveLogin(client.credentials, tar, spec.credential, namespace);
      io.stdout(`credential/${saved.name} saved from ${spec.directory}\n`);
      return 0;
    } finally {
      await client.sandboxes.delete(name, { namespace }).catch(() => {});
    }
  },
};

export const credentialsCommands: readonly Command[] = [create, list, remove, login];
