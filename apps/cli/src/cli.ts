/** The `paddock` command line: its commands, usage and dispatch (main.ts runs it on the process). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@paddock/client';
import { ErrorCode, PaddockError } from '@paddock/core';
import { cliConfigPath, loadCliConfig, selectContext } from './cli-config.ts';
import { foreignFlags, parseInvocation, resolveSettings, usageError } from './cli-options.ts';
import type { Command, Io } from './command.ts';
import { agentCommands } from './commands/agent.ts';
import { apikeyCommands } from './commands/apikey.ts';
import { appCommands } from './commands/app.ts';
import { applyCommand } from './commands/apply.ts';
import { auditCommand } from './commands/audit.ts';
import { clusterCommands } from './commands/cluster.ts';
import { completionCommand } from './commands/completion.ts';
import { contextCommands } from './commands/context.ts';
import { credentialsCommands } from './commands/credentials.ts';
import { deleteCommand } from './commands/delete.ts';
import { doctorCommand } from './commands/doctor.ts';
import { getCommand } from './commands/get.ts';
import { installCommands } from './commands/install.ts';
import { kubeconfigCommand } from './commands/kubeconfig.ts';
import { loginCommands } from './commands/login.ts';
import { mcpServeCommand } from './commands/mcp.ts';
import { policyCommands } from './commands/policy.ts';
import { runCommand } from './commands/run.ts';
import { runVerbCommands } from './commands/run-verbs.ts';
import { sandboxCommands } from './commands/sandbox.ts';
import { sandboxCpCommands } from './commands/sandbox-cp.ts';
import { sandboxForkCommands } from './commands/sandbox-fork.ts';
import { sandboxLogsCommands } from './commands/sandbox-logs.ts';
import { sandboxPortCommands } from './commands/sandbox-port.ts';
import { sandboxPowerCommands } from './commands/sandbox-power.ts';
import { sandboxProcessCommands } from './commands/sandbox-processes.ts';
import { sandboxShellCommands } from './commands/sandbox-shell.ts';
import { snapshotCommands } from './commands/snapshot.ts';
import { templateCommands } from './commands/template.ts';
import { usageCommand } from './commands/usage.ts';
import { volumeCommands } from './commands/volume.ts';
import { asPaddockError, exitCodeFor, formatError, shouldColor } from './exit-codes.ts';

const VERSION = '0.1.0';

const COMMANDS: readonly Command[] = [
  ...sandboxCommands,
  ...sandboxPowerCommands,
  ...sandboxLogsCommands,
  ...sandboxProcessCommands,
  ...sandboxShellCommands,
  ...sandboxCpCommands,
  ...sandboxPortCommands,
  ...sandboxForkCommands,
  ...snapshotCommands,
  ...volumeCommands,
  getCommand,
  applyCommand,
  deleteCommand,
  ...templateCommands,
  ...agentCommands,
  // The verbs first: `run list` is the list, not a run of an agent named "list".
  ...runVerbCommands,
  runCommand,
  ...policyCommands,
  ...apikeyCommands,
  ...credentialsCommands,
  auditCommand,
  usageCommand,
  ...loginCommands,
  ...contextCommands,
  kubeconfigCommand,
  doctorCommand,
  mcpServeCommand,
  ...installCommands,
  ...clusterCommands,
  ...appCommands,
  completionCommand(() => COMMANDS),
];

const USAGE = `paddock — run AI agents in isolated sandboxes

Usage:
  paddock up [--addr HOST:PORT] [--home DIR]       start Paddock on this machine (default 127.0.0.1:7070)
  paddock controller --kubeconfig FILE|--in-cluster run the reconcilers on a Kubernetes cluster
  paddock server --kubeconfig FILE|--in-cluster     the API, web UI and gateway for a cluster
  paddock install [--values FILE] [--set K=V] [--dry-run]  install Paddock on a cluster (upgrade: install upgrade)
  paddock uninstall [--purge]                      remove it (CRDs and data stay unless --purge)
  paddock cluster create|delete|start|stop|list|info|doctor|upgrade|sync  a GitOps-managed cluster for agents (k3d, Cilium, Argo CD)
  paddock app status|sync [NAME]                   the cluster's Argo CD Applications
  paddock sandbox list|get|create|delete|exec      manage sandboxes
  paddock sandbox stop|start|logs|events NAME      stop, start and watch a sandbox
  paddock sandbox shell NAME                       an interactive shell in a sandbox
  paddock sandbox ps|kill NAME [ID]                background processes: list, signal one
  paddock sandbox cp SRC DST                       copy files in or out (NAME:PATH is inside)
  paddock sandbox port NAME [PORT]                 list ports, or forward one to this machine
  paddock get KIND [NAME]                          list or show resources of any kind
  paddock apply -f FILE|-                          create or update resources from YAML or JSON
  paddock delete KIND NAME… | -f FILE|-            delete resources (--ignore-not-found)
  paddock template list|get|resolve [NAME]         templates, and what one gives after inheritance
  paddock agent create|list|get|delete             manage agents (harness, model, budget)
  paddock run AGENT PROMPT [-i] [-d]               run an agent on a task and follow its transcript
  paddock run list|get|logs|cancel|send|delete     manage runs; run logs NAME --follow re-attaches
  paddock policy [check -f FILE]                   the policy in force, usage, and a dry run
  paddock apikey create|list|revoke                manage API keys (the secret is shown once)
  paddock credentials create|list|delete|login     named secrets for runs (values are write-only)
  paddock audit [--actor A] [--action X] [--limit N]  who did what, newest first
  paddock usage [--since T] [--group-by KEY]     model cost, tokens and runs by day, namespace, user, agent or model
  paddock login [--server URL] [--token-stdin]     check a server and key, save them as the current context
  paddock logout | context list|use|delete         forget a key; list and switch saved contexts
  paddock kubeconfig                               a kubeconfig for kubectl and k9s against this server
  paddock doctor [--home DIR]                      check this machine can run Paddock, with fixes
  paddock mcp serve                                Paddock as an MCP server over stdio (for agents and IDEs)
  paddock completion bash|zsh|fish                 print a shell completion script
  paddock version                                  print the version

Global flags:
  --server URL          the Paddock server (PADDOCK_URL; default http://127.0.0.1:7070)
  --token TOKEN         API key (PADDOCK_TOKEN)
  --context NAME        a saved context instead of the current one (paddock context list)
  -n, --namespace NS    namespace (PADDOCK_NAMESPACE; default "default")
  -o, --output FORMAT   table (default), json, yaml or name
  -w, --watch           on lists: keep printing each change until Ctrl-C
  -h, --help            help on any command: paddock sandbox create --help

Example:
  paddock up --addr 127.0.0.1:7070
  paddock sandbox create scratch --template python --cluster
  paddock sandbox exec scratch -- python3 -c 'print(6 * 7)'
`;

/**
 * `up` and `controller` run their app (the server, the Kubernetes controller) as a child process
 * (apps never import each other) and forward signals.
 */
function runApp(
  app: '@paddock/server/main' | '@paddock/controller/main',
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const main = fileURLToPath(import.meta.resolve(app));
  // The app's stdin is a pipe from here: if this process dies (even by SIGKILL), the pipe
  // closes and the app shuts down instead of running on unseen.
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...env, PADDOCK_EXIT_WITH_PARENT: '1' },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The command whose words start the positionals (`sandbox exec NAME` → `sandbox exec`). */
function findCommand(positionals: readonly string[]): Command | undefined {
  return COMMANDS.find((command) => command.path.every((word, i) => positionals[i] === word));
}

function groupHelp(noun: string): string | undefined {
  const verbs = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === noun);
  if (verbs.length === 0) return undefined;
  return `Usage: paddock ${noun} ${[...new Set(verbs.map((c) => c.path[1]))].join('|')} …\n\n${verbs
    .map((c) => c.help.split('\n')[0])
    .join('\n')}\n\nRun paddock ${noun} VERB --help for details and an example.\n`;
}

async function run(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'up') return runApp('@paddock/server/main', rest, env);
  if (first === 'controller') return runApp('@paddock/controller/main', rest, env);
  if (first === 'server') {
    const isHelp = rest.includes('--help') || rest.includes('-h');
    const namesCluster =
      rest.some((arg) => /^--(kubeconfig|in-cluster)(=|$)/.test(arg)) ||
      env.PADDOCK_KUBECONFIG !== undefined ||
      env.PADDOCK_IN_CLUSTER === 'true';
    if (!isHelp && !namesCluster) {
      io.stderr(
        'paddock server: give --kubeconfig FILE or --in-cluster (paddock up runs Paddock on this machine)\n',
      );
      return 2;
    }
    return runApp('@paddock/server/main', rest, env);
  }
  if (first === 'version' || first === '--version') {
    io.stdout(`paddock ${VERSION} (node ${process.versions.node})\n`);
    return 0;
  }
  const invocation = parseInvocation(argv);
  const { positionals } = invocation;
  if (positionals.length === 0 || positionals[0] === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const command = findCommand(positionals);
  if (!command) {
    const group = positionals.length === 1 && groupHelp(positionals[0] ?? '');
    if (group && invocation.flags.help) {
      io.stdout(group);
      return 0;
    }
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `unknown command "${positionals.join(' ')}" (see paddock --help)`,
      { issues: [{ path: 'COMMAND', message: `unknown: ${positionals.join(' ')}` }] },
    );
  }
  if (invocation.flags.help) {
    // Flags are checked before help is shown: a mistyped flag never passes silently.
    const issues = [
      ...invocation.issues,
      ...foreignFlags(invocation, command.flags, command.path.join(' ')),
    ];
    if (issues.length > 0) throw usageError(issues);
    io.stdout(command.help);
    return 0;
  }
  const context = selectContext(loadCliConfig(cliConfigPath(env)), invocation.flags.context, {
    isNewAllowed: command.path[0] === 'login',
  });
  const settings = resolveSettings(
    invocation.flags,
    env,
    [...invocation.issues, ...foreignFlags(invocation, command.flags, command.path.join(' '))],
    context,
  );
  const client = createClient({
    baseUrl: settings.server,
    namespace: settings.namespace,
    ...(settings.token !== undefined && { token: settings.token }),
  });
  return command.run({
    args: positionals.slice(command.path.length),
    invocation,
    settings,
    client,
    io,
    env,
  });
}

/**
 * Runs one `paddock` command line with `io` and `env` and returns its exit code: the one place
 * errors become output and exit codes (commands never exit the process).
 */
export async function runCli(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  try {
    return await run(argv, io, env);
  } catch (thrown) {
    const error = asPaddockError(thrown);
    io.stderr(formatError(error, { isColor: shouldColor(process.stderr, env) }));
    return exitCodeFor(error.code);
  }
}
