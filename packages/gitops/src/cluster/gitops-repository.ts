/**
 * The seam to the GitOps repository (src/repo builds it): what the cluster lifecycle needs from it.
 * `initialRepository` is the stand-in used until src/repo exports its implementation: a git
 * repository with the layout's folders in one commit, and the AppProject and ApplicationSets that
 * read it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from './kube-objects.ts';
import type { ToolRunner } from './tool-runner.ts';

export type GitopsRepository = {
  /** Creates the repository in `dir` unless it exists (its first commit included). */
  ensure(dir: string, options: { cluster: string }): Promise<void>;
  /** The Argo CD objects (AppProjects, ApplicationSets) that deploy what `dir` holds from `repoURL`. */
  bootstrapObjects(dir: string, repoURL: string): Promise<KubeObject[]>;
};

export const PROJECT = 'paddock';
const GIT_IDENTITY = ['-c', 'user.name=paddock', '-c', 'user.email=paddock@localhost'];

function applicationSet(
  name: string,
  repoURL: string,
  path: string,
  template: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name, namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': 'paddock' } },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ git: { repoURL, revision: 'HEAD', files: [{ path }] } }],
      template,
    },
  };
}

/** The stand-in until src/repo lands: folders, a README, one commit; catalog and agents sets. */
export function initialRepository(runner: ToolRunner): GitopsRepository {
  return {
    async ensure(dir, { cluster }) {
      if (existsSync(join(dir, '.git'))) return;
      mkdirSync(dir, { recursive: true });
      for (const folder of ['apps/coordinates', 'apps/values', 'catalog', 'agents', 'infra']) {
        mkdirSync(join(dir, folder), { recursive: true });
        writeFileSync(join(dir, folder, '.gitkeep'), '');
      }
      writeFileSync(
        join(dir, 'README.md'),
        `# ${cluster}\n\nThe GitOps repository of Paddock cluster ${cluster}; Argo CD deploys what it holds.\n`,
      );
      await runner.run({ tool: 'git', args: ['init', '--initial-branch=main'], cwd: dir });
      await runner.run({ tool: 'git', args: ['add', '--all'], cwd: dir });
      await runner.run({
        tool: 'git',
        args: [...GIT_IDENTITY, 'commit', '--message', `cluster ${cluster}: initial repository`],
        cwd: dir,
      });
    },
    async bootstrapObjects(_dir, repoURL) {
      const project: KubeObject = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: PROJECT, namespace: 'argocd' },
        spec: {
          description: 'Everything the Paddock GitOps repository deploys',
          sourceRepos: ['*'],
          destinations: [{ server: 'https://kubernetes.default.svc', namespace: '*' }],
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        },
      };
      const automated = {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
      };
      return [
        project,
        applicationSet('paddock-catalog', repoURL, 'catalog/*.yaml', {
          metadata: {
            name: '{{.name}}',
            annotations: { 'argocd.argoproj.io/sync-wave': '{{.tier}}' },
            labels: { 'paddock.dev/tier': '{{.tier}}', 'paddock.dev/source': 'catalog' },
          },
          spec: {
            project: PROJECT,
            source: {
              repoURL: '{{.repoURL}}',
              chart: '{{.chart}}',
              targetRevision: '{{.targetRevision}}',
            },
            destination: { server: 'https://kubernetes.default.svc', namespace: '{{.namespace}}' },
            syncPolicy: automated,
          },
        }),
        applicationSet('paddock-agents', repoURL, 'agents/*.yaml', {
          metadata: { name: 'agent-{{.name}}', labels: { 'paddock.dev/source': 'agents' } },
          spec: {
            project: PROJECT,
            source: { repoURL, targetRevision: 'HEAD', path: 'agents/{{.name}}' },
            destination: { server: 'https://kubernetes.default.svc', namespace: '{{.name}}' },
            syncPolicy: automated,
          },
        }),
      ];
    },
  };
}
