/**
 * `paddock cluster create NAME --existing [--kubeconfig FILE]`: bootstraps a cluster you already
 * have instead of creating one. Argo CD is installed with Helm unless the cluster already serves
 * its kinds; then the repository's Argo CD objects and Paddock are applied. A cluster elsewhere
 * cannot mount this machine's repository: push it to a git server the cluster reaches and give
 * its URL (`repoURL`); without one, the objects name the in-cluster URL and Argo CD syncs nothing
 * until the repository is served there.
 */
import { isAbsolute, resolve } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { KubeClient } from '@paddock/kube';
import { InfraComponent } from '../repo/index.ts';
import { BOOTSTRAP_VERSIONS } from './bootstrap-plan.ts';
import { checkTools } from './doctor.ts';
import { IN_CLUSTER_REPO_URL } from './git-server.ts';
import { gitopsRepository } from './gitops-repository.ts';
import { helmInstall } from './helm-values.ts';
import { bootstrapInCluster } from './in-cluster.ts';
import { Discovery } from './kube-objects.ts';
import { type ClusterEnv, repositoryDir } from './lifecycle.ts';
import { ClusterMode, ClusterState, readSession, type Session, writeSession } from './session.ts';
import { step } from './steps.ts';

async function nodeCount(kube: KubeClient): Promise<number | undefined> {
  try {
    return (await kube.request<{ items?: unknown[] }>('GET', '/api/v1/nodes')).items?.length ?? 0;
  } catch (error) {
    if (error instanceof PaddockError && error.code === ErrorCode.NotFound) return undefined;
    throw error;
  }
}

export async function bootstrapExisting(
  env: ClusterEnv,
  options: { name: string; kubeconfig: string; repoURL?: string; timeoutMs?: number },
): Promise<Session> {
  const { home, progress } = env;
  const { name } = options;
  let previous: Session | undefined;
  try {
    previous = readSession(home, name);
  } catch (error) {
    if (!(error instanceof PaddockError && error.code === ErrorCode.NotFound)) throw error;
  }
  if (previous !== undefined && previous.mode !== ClusterMode.Existing) {
    throw new PaddockError(
      ErrorCode.AlreadyExists,
      `cluster "${name}" exists and was created by paddock; choose another name`,
    );
  }
  await step(progress, 'check tools', async () => {
    const [git] = await checkTools(env.runner, ['git']);
    if (git?.status !== 'ok')
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `git is needed for the gitops repository: ${git?.fix ?? ''}`,
      );
  });
  const kubeconfig = isAbsolute(options.kubeconfig)
    ? options.kubeconfig
    : resolve(options.kubeconfig);
  const kube = await (
    env.connect ??
    ((path: string) => KubeClient.fromKubeconfig(path, { userAgent: 'paddock-cluster' }))
  )(kubeconfig);
  const now = () => (env.now ?? (() => new Date()))().toISOString();
  let session: Session = {
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'ClusterSession',
    name,
    mode: ClusterMode.Existing,
    state: ClusterState.Creating,
    createdAt: previous?.createdAt ?? now(),
    updatedAt: now(),
    nodeCount: 0,
    kubeconfig,
    ports: {},
    urls: { api: kube.server, repository: options.repoURL ?? IN_CLUSTER_REPO_URL },
    credentials: {},
    bootstrap: { version: env.version },
  };
  writeSession(home, session);
  const repository = env.repository ?? gitopsRepository(env.runner);
  const repoDir = repositoryDir(home, name);
  try {
    session = { ...session, nodeCount: (await nodeCount(kube)) ?? 0 };
    await step(progress, 'create the gitops repository', () =>
      repository.ensure(repoDir, {
        cluster: name,
        repoURL: options.repoURL ?? IN_CLUSTER_REPO_URL,
        // Argo CD deploys Paddock only from a repository it reaches; else paddock install does.
        paddock: { enabled: options.repoURL !== undefined },
      }),
    );
    const discovery = new Discovery(kube);
    if ((await discovery.resource('argoproj.io/v1alpha1', 'Application')) !== undefined) {
      progress({
        type: 'skipped',
        step: 'install argo cd',
        reason: 'the cluster already serves Argo CD’s kinds',
      });
    } else {
      await step(progress, `install argo cd (chart ${BOOTSTRAP_VERSIONS.argocd})`, async () => {
        // The compiled-in values with the repository's infra/argocd.yaml merged over them.
        const command = await helmInstall({
          home,
          name,
          component: InfraComponent.ArgoCd,
          repository,
          repositoryDir: repoDir,
          repoURL: options.repoURL ?? IN_CLUSTER_REPO_URL,
          kubeconfig,
        });
        return env.runner.run({ tool: 'helm', args: command.args, timeoutMs: 660_000 });
      });
      session = {
        ...session,
        bootstrap: { ...session.bootstrap, argocd: BOOTSTRAP_VERSIONS.argocd },
      };
    }
    if (options.repoURL === undefined) {
      progress({
        type: 'skipped',
        step: 'serve the gitops repository',
        reason: `a cluster paddock did not create cannot mount ${repoDir}: push it to a git server the cluster reaches and run again with --repo-url URL`,
      });
    }
    const report = await bootstrapInCluster(kube, {
      repository,
      repositoryDir: repoDir,
      repoURL: options.repoURL ?? IN_CLUSTER_REPO_URL,
      isServingRepository: false,
      progress,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    session = {
      ...session,
      state: ClusterState.Running,
      updatedAt: now(),
      credentials:
        report.argocdAdminPassword === undefined
          ? {}
          : { argocdAdminPassword: report.argocdAdminPassword },
      bootstrap: { ...session.bootstrap, paddock: report.paddockVersion },
    };
  } catch (error) {
    writeSession(home, {
      ...session,
      state: ClusterState.Failed,
      error: (error as Error).message,
      updatedAt: now(),
    });
    throw error;
  } finally {
    kube.close();
  }
  writeSession(home, session);
  return session;
}
