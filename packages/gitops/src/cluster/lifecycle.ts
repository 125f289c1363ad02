/**
 * The cluster lifecycle behind `paddock cluster`: create (k3d, Cilium, Argo CD, the GitOps
 * repository, Paddock deployed by Argo CD from it), delete, start, stop, list, info and upgrade. External programs run
 * through the ToolRunner; the cluster's state lives in session.yaml; every step is reported to
 * `progress` with its duration.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { KubeClient } from '@paddock/kube';
import { InfraComponent } from '../repo/index.ts';
import {
  BOOTSTRAP_VERSIONS,
  type Command,
  ciliumNodeMounts,
  k3dCreate,
  k3dDelete,
  k3dKubeconfigWrite,
  k3dStart,
  k3dStop,
} from './bootstrap-plan.ts';
import {
  CheckStatus,
  type ClusterCheck,
  checkContainerEngine,
  checkTools,
  formatClusterChecks,
} from './doctor.ts';
import { IN_CLUSTER_REPO_URL } from './git-server.ts';
import { type GitopsRepository, gitopsRepository } from './gitops-repository.ts';
import { type HelmComponent, helmInstall } from './helm-values.ts';
import { chooseHostPorts, DEFAULT_PORTS, type HostPorts } from './host-ports.ts';
import { bootstrapInCluster } from './in-cluster.ts';
import { upgradePaddock } from './paddock-upgrade.ts';
import {
  ClusterMode,
  ClusterState,
  clusterDir,
  listSessions,
  readSession,
  type Session,
  sessionPath,
  writeSession,
} from './session.ts';
import { type Progress, step } from './steps.ts';
import type { ToolRunner } from './tool-runner.ts';

/** What the lifecycle runs with: injected, so tests record tools and use a test API server. */
export type ClusterEnv = {
  /** `$PADDOCK_HOME`. */
  home: string;
  runner: ToolRunner;
  progress: Progress;
  /** The GitOps repository (default src/repo's, its git run by `runner`). */
  repository?: GitopsRepository;
  /** Opens a client for a kubeconfig (default `KubeClient.fromKubeconfig`). */
  connect?: (kubeconfig: string) => Promise<KubeClient>;
  /** This CLI's version: the bootstrap's version in session.yaml. */
  version: string;
  now?: () => Date;
};

const connectDefault = (kubeconfig: string) =>
  KubeClient.fromKubeconfig(kubeconfig, { userAgent: 'paddock-cluster' });
const nowOf = (env: ClusterEnv) => (env.now ?? (() => new Date()))().toISOString();
const repositoryOf = (env: ClusterEnv) => env.repository ?? gitopsRepository(env.runner);

export function repositoryDir(home: string, name: string): string {
  return join(clusterDir(home, name), 'gitops');
}

function kubeconfigPath(home: string, name: string): string {
  return join(clusterDir(home, name), 'kubeconfig');
}

async function runCommand(env: ClusterEnv, command: Command) {
  return env.runner.run({
    tool: command.tool,
    args: command.args,
    ...(command.timeoutMs && { timeoutMs: command.timeoutMs }),
  });
}

/**
 * The machine checks `create` needs to pass (k3d, docker, helm, git present; a container engine
 * answering). Fails fast with `runtime_unavailable` and doctor's explanation of each failure.
 */
export async function preflight(runner: ToolRunner): Promise<ClusterCheck[]> {
  const checks = [
    ...(await checkTools(runner, ['k3d', 'docker', 'helm', 'git'])),
    await checkContainerEngine(runner),
  ];
  const failed = checks.filter((c) => c.status === CheckStatus.Fail);
  if (failed.length > 0) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `cannot create a k3d cluster on this machine:\n${formatClusterChecks(failed)}(paddock cluster doctor runs every check)`,
      {
        checks: failed.map((c) => ({ name: c.name, detail: c.detail, fix: c.fix ?? '' })),
        hint: 'paddock cluster doctor runs every check; paddock cluster create NAME --existing bootstraps a cluster you already have',
      },
    );
  }
  return checks;
}

function exists(home: string, name: string): Session | undefined {
  try {
    return readSession(home, name);
  } catch (error) {
    if (error instanceof PaddockError && error.code === ErrorCode.NotFound) return undefined;
    throw error;
  }
}

function urlsOf(ports: HostPorts) {
  return {
    api: `https://127.0.0.1:${ports.api}`,
    argocd: `http://argocd.localhost:${ports.http}`,
    hubble: `http://hubble.localhost:${ports.http}`,
    paddock: `http://paddock.localhost:${ports.http}`,
    repository: IN_CLUSTER_REPO_URL,
  };
}

/**
 * Paddock's values inside a k3d cluster: its Ingress on Cilium's class. They go into the
 * `paddock` catalog entry's values, which either owner deploys Paddock with.
 */
export const PADDOCK_K3D_VALUES = {
  ingress: { enabled: true, className: 'cilium', host: 'paddock.localhost' },
};

export type CreateOptions = {
  name: string;
  /**
   * Host ports given explicitly: used as they are, or refused (`validation_failed` naming each
   * one's flag) when taken. Those not given: 6550, 8080, 8443, or the next free ones.
   */
  ports?: Partial<HostPorts>;
  timeoutMs?: number;
};

/** Creates a k3d cluster and bootstraps it; the session records each state on the way. */
export async function createCluster(env: ClusterEnv, options: CreateOptions): Promise<Session> {
  const { home, progress } = env;
  const { name } = options;
  const previous = exists(home, name);
  if (previous !== undefined && previous.state !== ClusterState.Failed) {
    throw new PaddockError(
      ErrorCode.AlreadyExists,
      `cluster "${name}" exists (${previous.state}); paddock cluster delete ${name} first`,
    );
  }
  // The ports asked for are the user's input: checked before the machine is.
  const takenBy = new Map(
    listSessions(home)
      .filter((s) => s.name !== name)
      .flatMap((s) =>
        [s.ports.api, s.ports.http, s.ports.https].flatMap((p) =>
          p === undefined ? [] : [[p, s.name] as const],
        ),
      ),
  );
  const ports = await step(
    progress,
    'choose host ports',
    () =>
      chooseHostPorts({
        wanted: DEFAULT_PORTS,
        fixed: options.ports ?? {},
        taken: takenBy.keys(),
        takenBy,
      }),
    (p) => `api ${p.api}, http ${p.http}, https ${p.https}`,
  );
  await step(
    progress,
    'check tools and container engine',
    () => preflight(env.runner),
    (c) => `${c.length} checks ok`,
  );
  const kubeconfig = kubeconfigPath(home, name);
  const createdAt = previous?.createdAt ?? nowOf(env);
  let session: Session = {
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'ClusterSession',
    name,
    mode: ClusterMode.K3d,
    state: ClusterState.Creating,
    createdAt,
    updatedAt: nowOf(env),
    nodeCount: 1,
    kubeconfig,
    context: `k3d-${name}`,
    ports,
    urls: urlsOf(ports),
    credentials: {},
    bootstrap: { version: env.version },
  };
  writeSession(home, session);
  const repository = repositoryOf(env);
  const repoDir = repositoryDir(home, name);
  try {
    await step(progress, 'create the gitops repository', () =>
      repository.ensure(repoDir, {
        cluster: name,
        repoURL: IN_CLUSTER_REPO_URL,
        paddock: { enabled: true, values: PADDOCK_K3D_VALUES },
      }),
    );
    await step(progress, 'create the k3d cluster', () =>
      runCommand(env, k3dCreate({ name, ports, repositoryDir: repoDir })),
    );
    await step(progress, 'write the kubeconfig', () =>
      runCommand(env, k3dKubeconfigWrite(name, kubeconfig)),
    );
    await step(progress, 'prepare the node for cilium', async () => {
      for (const command of ciliumNodeMounts(name)) await runCommand(env, command);
    });
    // Cilium's and Argo CD's values: the compiled-in ones with the repository's infra/ overrides.
    const helm = (component: HelmComponent) =>
      helmInstall({
        home,
        name,
        component,
        repository,
        repositoryDir: repoDir,
        repoURL: IN_CLUSTER_REPO_URL,
        kubeconfig,
      });
    await step(progress, `install cilium ${BOOTSTRAP_VERSIONS.cilium} with hubble`, async () =>
      runCommand(env, await helm(InfraComponent.Cilium)),
    );
    session = {
      ...session,
      bootstrap: { ...session.bootstrap, cilium: BOOTSTRAP_VERSIONS.cilium },
    };
    await step(progress, `install argo cd (chart ${BOOTSTRAP_VERSIONS.argocd})`, async () =>
      runCommand(env, await helm(InfraComponent.ArgoCd)),
    );
    session = {
      ...session,
      bootstrap: { ...session.bootstrap, argocd: BOOTSTRAP_VERSIONS.argocd },
    };
    writeSession(home, { ...session, updatedAt: nowOf(env) });
    const kube = await (env.connect ?? connectDefault)(kubeconfig);
    try {
      const report = await bootstrapInCluster(kube, {
        repository,
        repositoryDir: repoDir,
        repoURL: IN_CLUSTER_REPO_URL,
        isServingRepository: true,
        progress,
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      });
      session = {
        ...session,
        state: ClusterState.Running,
        updatedAt: nowOf(env),
        credentials:
          report.argocdAdminPassword === undefined
            ? {}
            : { argocdAdminPassword: report.argocdAdminPassword },
        bootstrap: { ...session.bootstrap, paddock: report.paddockVersion },
      };
    } finally {
      kube.close();
    }
  } catch (error) {
    writeSession(home, {
      ...session,
      state: ClusterState.Failed,
      error: (error as Error).message,
      updatedAt: nowOf(env),
    });
    throw error;
  }
  writeSession(home, session);
  return session;
}

/** Deletes the k3d cluster (an existing cluster is left alone) and the cluster's folder. */
export async function deleteCluster(env: ClusterEnv, name: string): Promise<void> {
  const session = readSession(env.home, name);
  if (session.mode === ClusterMode.K3d) {
    await step(env.progress, 'delete the k3d cluster', () => runCommand(env, k3dDelete(name)));
  } else {
    env.progress({
      type: 'skipped',
      step: 'delete the cluster',
      reason: 'it was not created by paddock (--existing): only its session is forgotten',
    });
  }
  await step(env.progress, 'remove the session and gitops repository', async () => {
    rmSync(clusterDir(env.home, name), { recursive: true, force: true });
  });
}

function requireK3d(session: Session, verb: string) {
  if (session.mode !== ClusterMode.K3d) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `cluster "${session.name}" was bootstrapped with --existing: paddock cannot ${verb} it`,
    );
  }
}

export async function startCluster(env: ClusterEnv, name: string): Promise<Session> {
  const session = readSession(env.home, name);
  requireK3d(session, 'start');
  await step(env.progress, 'start the k3d cluster', () => runCommand(env, k3dStart(name)));
  const next = { ...session, state: ClusterState.Running, updatedAt: nowOf(env) };
  writeSession(env.home, next);
  return next;
}

export async function stopCluster(env: ClusterEnv, name: string): Promise<Session> {
  const session = readSession(env.home, name);
  requireK3d(session, 'stop');
  await step(env.progress, 'stop the k3d cluster', () => runCommand(env, k3dStop(name)));
  const next = { ...session, state: ClusterState.Stopped, updatedAt: nowOf(env) };
  writeSession(env.home, next);
  return next;
}

export const UpgradeTarget = { Cilium: 'cilium', Argocd: 'argocd', Paddock: 'paddock' } as const;
export type UpgradeTarget = (typeof UpgradeTarget)[keyof typeof UpgradeTarget];

/**
 * Moves the components named (default all three) to this CLI's versions: Cilium and Argo CD by
 * `helm upgrade --install` at the pinned chart versions, with the compiled-in values and the
 * repository's `infra/cilium.yaml` or `infra/argocd.yaml` merged over them (helm-values.ts),
 * Paddock through its owner (paddock-upgrade.ts).
 */
export async function upgradeCluster(
  env: ClusterEnv,
  name: string,
  targets: readonly UpgradeTarget[] = Object.values(UpgradeTarget),
): Promise<Session> {
  let session = readSession(env.home, name);
  const { kubeconfig } = session;
  const helm = (component: HelmComponent) =>
    helmInstall({
      home: env.home,
      name,
      component,
      repository: repositoryOf(env),
      repositoryDir: repositoryDir(env.home, name),
      repoURL: session.urls.repository ?? IN_CLUSTER_REPO_URL,
      kubeconfig,
    });
  for (const target of targets) {
    switch (target) {
      case UpgradeTarget.Cilium:
        if (session.mode !== ClusterMode.K3d) {
          env.progress({
            type: 'skipped',
            step: 'upgrade cilium',
            reason: 'paddock did not install Cilium on this cluster (--existing)',
          });
          break;
        }
        await step(env.progress, `upgrade cilium to ${BOOTSTRAP_VERSIONS.cilium}`, async () =>
          runCommand(env, await helm(InfraComponent.Cilium)),
        );
        session = {
          ...session,
          bootstrap: { ...session.bootstrap, cilium: BOOTSTRAP_VERSIONS.cilium },
        };
        break;
      case UpgradeTarget.Argocd:
        if (session.mode !== ClusterMode.K3d) {
          env.progress({
            type: 'skipped',
            step: 'upgrade argo cd',
            reason: 'paddock did not install Argo CD on this cluster (--existing)',
          });
          break;
        }
        await step(
          env.progress,
          `upgrade argo cd to chart ${BOOTSTRAP_VERSIONS.argocd}`,
          async () => runCommand(env, await helm(InfraComponent.ArgoCd)),
        );
        session = {
          ...session,
          bootstrap: { ...session.bootstrap, argocd: BOOTSTRAP_VERSIONS.argocd },
        };
        break;
      case UpgradeTarget.Paddock: {
        const paddock = await upgradePaddock({
          runner: env.runner,
          progress: env.progress,
          repositoryDir: repositoryDir(env.home, name),
          repoURL: session.urls.repository ?? IN_CLUSTER_REPO_URL,
          fallbackValues: session.mode === ClusterMode.K3d ? PADDOCK_K3D_VALUES : {},
          connect: () => (env.connect ?? connectDefault)(kubeconfig),
        });
        session = { ...session, bootstrap: { ...session.bootstrap, paddock } };
        break;
      }
      default: {
        const unhandled: never = target;
        throw new Error(`unknown upgrade target ${String(unhandled)}`);
      }
    }
  }
  session = {
    ...session,
    bootstrap: { ...session.bootstrap, version: env.version },
    updatedAt: nowOf(env),
  };
  writeSession(env.home, session);
  return session;
}

/** Every cluster this machine's Paddock knows, from the sessions. */
export function listClusters(home: string): Session[] {
  return listSessions(home);
}

/** One cluster's session, and where it lives. */
export function clusterInfo(
  home: string,
  name: string,
): { session: Session; path: string; repository: string } {
  return {
    session: readSession(home, name),
    path: sessionPath(home, name),
    repository: repositoryDir(home, name),
  };
}
