// `paddock app diff|rollback`, GitOps-native: a rollback is one commit of the GitOps repository
// that Argo CD then syncs; a diff compares the repository's HEAD with the revision Argo CD last
// synced (or, without a cluster, the work tree with the last commit). `app logs`: app-logs.ts.
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import {
  ARGOCD_NAMESPACE,
  catalogRollbackCheck,
  type Session,
  syncApplications,
} from '@paddock/gitops';
import { usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  historyOf,
  type ResolvedApp,
  resolveApp,
  unreachable,
  withRunningCluster,
} from './app-support.ts';
import { repoOf } from './cluster-repo.ts';
import { clusterEnv, targetCluster, timeoutMsOf } from './cluster-support.ts';

export function oneName({ args }: CommandContext, usage: string): string {
  if (args.length !== 1) throw usageError([{ path: 'NAME', message: `usage: ${usage}` }]);
  return args[0] ?? '';
}

const applicationPath = (name: string) =>
  `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications/${encodeURIComponent(name)}`;

type Application = { status?: { sync?: { status?: string; revision?: string } } };

/**
 * The revision Argo CD last synced the app's Application at, or why there is none to compare
 * with (no cluster, no Application, a revision this repository does not hold).
 */
async function syncedRevision(
  session: Session,
  app: ResolvedApp,
  has: (rev: string) => Promise<boolean>,
): Promise<{ revision: string; status: string } | { why: string }> {
  const why = unreachable(session);
  if (why !== undefined) return { why };
  try {
    return await withRunningCluster(session, 'paddock app diff', async (kube) => {
      const application = await kube.request<Application>('GET', applicationPath(app.application));
      const revision = application.status?.sync?.revision;
      if (revision === undefined || revision === '') {
        return { why: `Argo CD has not synced Application ${app.application} yet` };
      }
      if (!(await has(revision))) {
        return {
          why: `Argo CD synced Application ${app.application} at ${revision.slice(0, 12)}, a revision this repository does not hold`,
        };
      }
      return { revision, status: application.status?.sync?.status ?? 'Unknown' };
    });
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) {
      return { why: `cluster ${session.name} has no Application ${app.application}` };
    }
    if (isPaddockError(error, ErrorCode.RuntimeUnavailable)) {
      return { why: `cluster ${session.name} does not answer (${error.message})` };
    }
    throw error;
  }
}

const diffCommand: Command = {
  path: ['app', 'diff'],
  flags: ['home', 'cluster-name'],
  help: `Usage: paddock app diff NAME [--cluster-name CLUSTER]

What Argo CD would change for an app (a custom app or a catalog entry): a unified diff of the
app's files in the GitOps repository (apps/coordinates and apps/values, or catalog/,
catalog/values and infra/) from the revision its Application last synced (status.sync.revision,
read through the Kubernetes API) to the repository's HEAD. Without a running cluster, or when
the Application is missing, it shows the app's uncommitted changes against the last commit
instead, and says so on stderr (Argo CD reads commits only).

Example:
  paddock app diff litellm
  paddock app diff my-api --cluster-name dev
`,
  async run(context) {
    const name = oneName(context, 'paddock app diff NAME');
    const session = targetCluster(context);
    const repo = repoOf(context, session);
    const history = historyOf(repo);
    const app = await resolveApp(repo, name);
    const head = await history.resolve('HEAD');
    const synced = await syncedRevision(session, app, (rev) => history.hasCommit(rev));
    const { io } = context;
    if ('revision' in synced) {
      const from = await history.resolve(synced.revision);
      io.stderr(
        `Argo CD synced ${app.application} at ${from.shortSha} (${from.subject}), sync status ${synced.status}; HEAD is ${head.shortSha} (${head.subject})\n`,
      );
      const text = await history.diff(app, from.sha, head.sha);
      if (text === '') io.stderr(`no change: ${name}'s files at HEAD are those Argo CD synced\n`);
      else io.stdout(text);
      const local = await history.uncommitted(app);
      if (local.length > 0) {
        io.stderr(
          `note: uncommitted changes to ${local.map((l) => l.slice(3)).join(', ')} are not in this diff: Argo CD reads commits only\n`,
        );
      }
      return 0;
    }
    io.stderr(
      `note: ${synced.why}: showing ${name}'s uncommitted changes against the last commit (${head.shortSha} ${head.subject}), not what Argo CD would change\n`,
    );
    const text = await history.diff(app, head.sha);
    if (text === '') io.stderr(`no uncommitted changes to ${name}'s files\n`);
    else io.stdout(text);
    return 0;
  },
};

const rollbackCommand: Command = {
  path: ['app', 'rollback'],
  flags: ['home', 'cluster-name', 'to', 'sync', 'timeout', 'force'],
  help: `Usage: paddock app rollback NAME [--to REV] [--sync] [--force] [--cluster-name CLUSTER] [--timeout 5m]

Rolls an app (a custom app or a catalog entry) back in the GitOps repository: its files
(apps/coordinates and apps/values, or catalog/, catalog/values and infra/) are restored to their
state before its last change, or at commit REV with --to, as exactly one new commit
("apps: roll back NAME to REV (subject of REV)"). Nothing else in the repository changes. Refused
when the app has no earlier state or the repository has uncommitted changes, and, for a catalog
entry, when the restored state would leave an enabled entry with a disabled dependency (the error
names it; --force rolls back anyway and lists what is left without). Argo CD then syncs
the repository's new state when it next polls it; --sync asks it to at once (as paddock app sync).

Example:
  paddock app rollback my-api
  paddock app rollback litellm --to 1a2b3c4 --sync
`,
  async run(context) {
    const name = oneName(context, 'paddock app rollback NAME [--to REV]');
    const to = context.invocation.flags.to;
    const sync = context.invocation.flags.sync === true;
    const timeoutMs = timeoutMsOf(context, 300_000);
    const session = targetCluster(context);
    const repo = repoOf(context, session);
    const app = await resolveApp(repo, name);
    const why = sync ? unreachable(session) : undefined;
    if (why !== undefined) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `paddock app rollback --sync needs the cluster: ${why}; nothing was rolled back`,
        { hint: `without --sync the rollback is committed and Argo CD syncs it once it runs` },
      );
    }
    const { io } = context;
    const check =
      app.kind === 'catalog'
        ? catalogRollbackCheck({
            name,
            current: await repo.readCatalog(),
            repoURL: repo.settings.repoURL,
            force: context.invocation.flags.force === true,
            onForced: (problems) =>
              io.stderr(
                `warning: --force: ${problems.map((p) => `${p.name} stays enabled without ${p.missing.join(', ')}`).join('; ')}\n`,
              ),
          })
        : undefined;
    const result = await historyOf(repo).revert(app, to, check ? { check } : {});
    io.stdout(`${result.message} (commit ${result.sha.slice(0, 12)})\n`);
    io.stdout(`restored: ${result.files.join(', ')}\n`);
    if (!sync) {
      io.stdout(
        `Argo CD syncs ${app.application} to it when it next polls the repository (paddock app sync ${app.application} does it now)\n`,
      );
      return 0;
    }
    const synced = await withRunningCluster(session, 'paddock app rollback --sync', (kube) =>
      syncApplications(kube, {
        progress: clusterEnv(context).progress,
        names: [app.application],
        timeoutMs,
      }),
    );
    if (synced.length === 0) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `the rollback is committed, but cluster ${session.name} has no Application ${app.application} to sync`,
        { hint: `paddock app status shows the cluster's Applications` },
      );
    }
    io.stdout(synced.map((r) => `${r.application}: ${r.phase}\n`).join(''));
    return 0;
  },
};

export const appHistoryCommands: readonly Command[] = [diffCommand, rollbackCommand];
