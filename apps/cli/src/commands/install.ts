import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isDuration, parseDurationMs } from '@paddock/core';
import {
  applyInstall,
  detectCapabilities,
  formatMs,
  type InstallValues,
  installManifest,
  KubeClient,
  manifestYaml,
  paddockCrds,
  resolveValues,
  uninstall,
} from '@paddock/kube';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';

const FLAGS = ['values', 'set', 'dry-run', 'kubeconfig', 'timeout'] as const;

/**
 * The values from `--values FILE` and every `--set path=value`, each bad one named; the commands
 * take no positional arguments.
 */
function valuesOf({ args, invocation }: CommandContext, command: string): InstallValues {
  if (args.length > 0) {
    throw usageError([{ path: args[0] ?? '', message: `${command} takes no arguments` }]);
  }
  const { flags } = invocation;
  if (invocation.given.some((g) => g.name === 'namespace')) {
    throw usageError([
      { path: '--namespace', message: `not a flag of "${command}": use --set namespace=NS` },
    ]);
  }
  let fileText: string | undefined;
  if (flags.values !== undefined) {
    try {
      fileText = readFileSync(flags.values, 'utf8');
    } catch (error) {
      throw usageError([{ path: '--values', message: (error as Error).message }]);
    }
  }
  return resolveValues({
    ...(fileText === undefined ? {} : { fileText }),
    sets: flags.set ?? [],
  });
}

function timeoutMs({ invocation }: CommandContext): number {
  const text = invocation.flags.timeout ?? '5m';
  if (!isDuration(text)) {
    throw usageError([{ path: '--timeout', message: 'must be a duration such as 5m or 90s' }]);
  }
  return parseDurationMs(text);
}

function client({ invocation, env }: CommandContext): Promise<KubeClient> {
  const path =
    invocation.flags.kubeconfig ?? (env.KUBECONFIG?.split(':')[0] || `${homedir()}/.kube/config`);
  return KubeClient.fromKubeconfig(path, { userAgent: 'paddock-install' });
}

/** Install or upgrade: the dry run prints the YAML; otherwise apply and wait, step by step. */
async function install(context: CommandContext, command: string, isUpgrade: boolean) {
  const values = valuesOf(context, command);
  const { io } = context;
  if (context.invocation.flags['dry-run']) {
    io.stdout(manifestYaml(installManifest(values)));
    return 0;
  }
  const waitMs = timeoutMs(context);
  const kube = await client(context);
  const started = performance.now();
  try {
    const capabilities = await detectCapabilities(kube);
    const hasMonitoring = capabilities.monitoringKinds.has('ServiceMonitor');
    io.stdout(
      `${isUpgrade ? 'upgrading' : 'installing'} ${values.name} in ${values.namespace} on ${kube.server} (prometheus-operator: ${hasMonitoring ? 'found' : 'not found'})\n`,
    );
    await applyInstall(kube, installManifest(values, capabilities), values.name, {
      log: (line) => io.stdout(`${line}\n`),
      timeoutMs: waitMs,
      prune: isUpgrade,
    });
  } finally {
    kube.close();
  }
  io.stdout(
    `${isUpgrade ? 'upgraded' : 'installed'} ${values.name} in ${formatMs(performance.now() - started)}\n`,
  );
  return 0;
}

const VALUES_HELP = `Values (charts/paddock/values.yaml lists them with their defaults):
  --values FILE         a YAML file of values
  --set PATH=VALUE      one value, read as YAML (true, 3, [a, b]); repeatable; wins over --values
  --kubeconfig FILE     the cluster (default $KUBECONFIG, then ~/.kube/config)`;

export const installCommand: Command = {
  path: ['install'],
  flags: [...FLAGS],
  help: `Usage: paddock install [--values FILE] [--set PATH=VALUE]… [--dry-run] [--kubeconfig FILE] [--timeout 5m]

Installs Paddock on a Kubernetes cluster with server-side apply (field manager paddock-install):
the CRDs first (waiting until they are Established), then the namespace, service accounts and
RBAC, Services, the controller and server Deployments, disruption budgets, network policies,
the Ingress when enabled, and with prometheus-operator (found on the cluster, or
monitoring.prometheusOperator=enabled) a ServiceMonitor and alerts; then waits until the
Deployments are available. Each step is printed with its duration. --dry-run prints the YAML
instead and connects to nothing (prometheus-operator's objects only when enabled).

${VALUES_HELP}

Example:
  paddock install --dry-run --set controller.replicas=3
  paddock install --values paddock-values.yaml
`,
  run: (context) => install(context, 'paddock install', false),
};

export const installUpgradeCommand: Command = {
  path: ['install', 'upgrade'],
  flags: [...FLAGS],
  help: `Usage: paddock install upgrade [--values FILE] [--set PATH=VALUE]… [--dry-run] [--kubeconfig FILE]

Applies the installation again with new values, then deletes the objects the release owned
(labelled app.kubernetes.io/managed-by=paddock-install and its instance) that the new values no
longer render, for example the Ingress after ingress.enabled=false. Never deletes a Namespace.

${VALUES_HELP}

Example:
  paddock install upgrade --set ingress.enabled=false
`,
  run: (context) => install(context, 'paddock install upgrade', true),
};

export const uninstallCommand: Command = {
  path: ['uninstall'],
  flags: ['values', 'set', 'kubeconfig', 'purge'],
  help: `Usage: paddock uninstall [--values FILE] [--set name=RELEASE] [--kubeconfig FILE] [--purge]

Deletes what paddock install created (the release named by the values' name, default paddock).
Keeps the CRDs, every Paddock object, the namespace and the data in it (workspaces, Secrets);
--purge deletes those too.

Example:
  paddock uninstall
  paddock uninstall --purge
`,
  async run(context) {
    const values = valuesOf(context, 'paddock uninstall');
    const kube = await client(context);
    const started = performance.now();
    try {
      await uninstall(kube, values.name, paddockCrds(), {
        log: (line) => context.io.stdout(`${line}\n`),
        purge: context.invocation.flags.purge === true,
      });
    } finally {
      kube.close();
    }
    context.io.stdout(`uninstalled ${values.name} in ${formatMs(performance.now() - started)}\n`);
    return 0;
  },
};

/** In match order: `install upgrade` before `install`. */
export const installCommands: readonly Command[] = [
  installUpgradeCommand,
  installCommand,
  uninstallCommand,
];
