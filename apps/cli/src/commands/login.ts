import { createClient } from '@paddock/client';
import { ErrorCode, PaddockError } from '@paddock/core';
import {
  type CliConfig,
  cliConfigPath,
  forgetToken,
  loadCliConfig,
  saveCliConfig,
  upsertContext,
} from '../cli-config.ts';
import type { Command } from '../command.ts';

/** Reads one line from the terminal without echoing it (stdin must be a TTY). Ctrl-C aborts. */
function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: PaddockError) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') {
          return finish(new PaddockError(ErrorCode.ValidationFailed, 'login cancelled'));
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}

function isLoopback(server: string): boolean {
  const host = new URL(server).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `--context`, else the current context when it is for this server, else one named after the host. */
function contextName(config: CliConfig, server: string, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const current = config.contexts.find((c) => c.name === config.currentContext);
  if (current?.server === server) return current.name;
  const same = config.contexts.find((c) => c.server === server);
  return same?.name ?? new URL(server).host.replace(/[^A-Za-z0-9.-]/g, '-');
}

async function tokenToUse(
  flags: { 'token-stdin'?: boolean | undefined },
  settingsToken: string | undefined,
  server: string,
  readStdin: () => Promise<string>,
): Promise<string | undefined> {
  if (flags['token-stdin']) {
    const token = (await readStdin()).trim();
    if (token === '') {
      throw new PaddockError(ErrorCode.ValidationFailed, 'no API key on stdin', {
        issues: [{ path: '--token-stdin', message: 'stdin was empty' }],
      });
    }
    return token;
  }
  if (settingsToken !== undefined || isLoopback(server) || !process.stdin.isTTY) {
    return settingsToken;
  }
  const typed = (await readSecret(`API key for ${server}: `)).trim();
  return typed === '' ? undefined : typed;
}

const login: Command = {
  path: ['login'],
  flags: ['token-stdin'],
  help: `Usage: paddock login [--server URL] [--token TOKEN | --token-stdin] [--context NAME] [-n NS]

Checks the server and the API key (it asks the server who you are), then saves them as a context
in ~/.paddock/config.yaml (PADDOCK_CONFIG; mode 0600) and makes it the current one. Later commands
use it unless --server, --token, -n or their environment variables say otherwise. Without a key, a
loopback server logs you in as the anonymous admin; elsewhere, on a terminal, the key is asked for.
The context is named after the server's host:port unless --context names it.

Example:
  paddock login --server https://paddock.example.com --token-stdin --context prod < key.txt
`,
  async run({ args, invocation, settings, io, env }) {
    if (args.length > 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'usage: paddock login [--server URL]', {
        issues: args.map((a) => ({ path: a, message: 'unexpected argument' })),
      });
    }
    if (invocation.flags['token-stdin'] && invocation.flags.token !== undefined) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        'give --token or --token-stdin, not both',
        {
          issues: [{ path: '--token-stdin', message: 'not with --token' }],
        },
      );
    }
    const path = cliConfigPath(env);
    const config = loadCliConfig(path);
    const token = await tokenToUse(invocation.flags, settings.token, settings.server, io.readStdin);
    const client = createClient({
      baseUrl: settings.server,
      namespace: settings.namespace,
      ...(token !== undefined && { token }),
    });
    const me = await client.me();
    const name = contextName(config, settings.server, invocation.flags.context);
    const previous = config.contexts.find((c) => c.name === name);
    const namespace = invocation.flags.namespace ?? previous?.namespace;
    const user = me.name ?? me.id;
    saveCliConfig(
      path,
      upsertContext(config, {
        name,
        server: settings.server,
        ...(token !== undefined && { token }),
        ...(namespace !== undefined && { namespace }),
        user,
      }),
    );
    io.stdout(`logged in to ${settings.server} as ${user} (${me.role}); context "${name}"\n`);
    return 0;
  },
};

const logout: Command = {
  path: ['logout'],
  flags: [],
  help: `Usage: paddock logout [--context NAME]

Forgets the API key of the current context (or of --context NAME); its server and namespace stay.

Example:
  paddock logout --context prod
`,
  async run({ args, invocation, io, env }) {
    if (args.length > 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'usage: paddock logout [--context NAME]', {
        issues: args.map((a) => ({ path: a, message: 'unexpected argument' })),
      });
    }
    const path = cliConfigPath(env);
    const config = loadCliConfig(path);
    const name = invocation.flags.context ?? config.currentContext;
    if (!name) {
      throw new PaddockError(ErrorCode.NotFound, 'no current context to log out of', {
        issues: [{ path: '--context', message: 'no current context; name one' }],
      });
    }
    saveCliConfig(path, forgetToken(config, name));
    io.stdout(`logged out of context "${name}"\n`);
    return 0;
  },
};

export const loginCommands: readonly Command[] = [login, logout];
