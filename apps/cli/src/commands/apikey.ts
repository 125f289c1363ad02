import type { Operations } from '@paddock/client';
import { ErrorCode, PaddockError } from '@paddock/core';
import { stringify } from 'yaml';
import { z } from 'zod';
import { OutputFormat } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { type Column, formatAge, formatList } from '../output.ts';
import { oneName } from './sandbox.ts';

type ApiKey = Operations['listApiKeys']['result']['items'][number];

const Role = z.enum(['admin', 'user'], { error: 'must be admin or user' });

function apiKeyColumns(now: Date): Column<ApiKey>[] {
  return [
    { header: 'ID', value: (k) => k.id },
    { header: 'NAME', value: (k) => k.name },
    { header: 'ROLE', value: (k) => k.role },
    { header: 'PREFIX', value: (k) => k.prefix },
    { header: 'STATUS', value: (k) => (k.revokedAt ? 'revoked' : 'active') },
    { header: 'AGE', value: (k) => formatAge(k.createdAt, now) },
  ];
}

const create: Command = {
  path: ['apikey', 'create'],
  flags: ['role'],
  help: `Usage: paddock apikey create NAME [--role admin|user] [-o table|json|yaml]

Creates an API key and prints its secret once: it is never shown again, so store it now (use it
as PADDOCK_TOKEN or --token). The role defaults to yours; only admins may create admin keys.

Example:
  paddock apikey create ci-bot --role user
`,
  async run({ args, invocation, settings, client, io }) {
    const name = oneName(args, 'paddock apikey create NAME [--role admin|user]');
    const role = Role.optional().safeParse(invocation.flags.role);
    if (!role.success) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'invalid --role', {
        issues: [{ path: '--role', message: role.error.issues[0]?.message ?? 'invalid' }],
      });
    }
    const created = await client.apiKeys.create({
      name,
      ...(role.data !== undefined && { role: role.data }),
    });
    switch (settings.output) {
      case OutputFormat.Table:
        io.stdout(`${created.key}\n`);
        io.stderr(`apikey/${created.apiKey.id} created; the key above is shown only once\n`);
        return 0;
      case OutputFormat.Name:
        io.stdout(`apikey/${created.apiKey.id}\n`);
        return 0;
      case OutputFormat.Json:
        io.stdout(`${JSON.stringify(created, null, 2)}\n`);
        return 0;
      case OutputFormat.Yaml:
        io.stdout(stringify(created));
        return 0;
      default: {
        const unhandled: never = settings.output;
        throw new Error(`unknown output format ${String(unhandled)}`);
      }
    }
  },
};

const list: Command = {
  path: ['apikey', 'list'],
  flags: [],
  help: `Usage: paddock apikey list [-o table|json|yaml|name]

Lists your API keys (admins: everyone's): ID, NAME, ROLE, PREFIX, STATUS, AGE. Secrets are never
listed, only their first characters.

Example:
  paddock apikey list -o json
`,
  async run({ args, settings, client, io }) {
    if (args.length > 0) oneName(['', ...args], 'paddock apikey list');
    const keys = await client.apiKeys.list();
    io.stdout(
      formatList(keys, {
        format: settings.output,
        columns: apiKeyColumns(io.now()),
        nameOf: (k) => `apikey/${k.id}`,
        empty: 'No API keys found.\n',
      }),
    );
    return 0;
  },
};

const revoke: Command = {
  path: ['apikey', 'revoke'],
  flags: [],
  help: `Usage: paddock apikey revoke ID

Revokes an API key: it stops authenticating at once. Revoking twice is not an error.

Example:
  paddock apikey revoke 01JD3X5K8Q
`,
  async run({ args, client, io }) {
    const id = oneName(args, 'paddock apikey revoke ID');
    await client.apiKeys.revoke(id);
    io.stdout(`apikey/${id} revoked\n`);
    return 0;
  },
};

export const apikeyCommands: readonly Command[] = [create, list, revoke];
