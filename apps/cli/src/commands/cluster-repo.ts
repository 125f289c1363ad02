// The repository behind `paddock cluster agent …`, `paddock cluster snapshot …` and the
// repository verbs of `paddock app …`: src/repo's GitopsRepo and Snapshots for the cluster a
// command is about, git run through the cluster runner.
import { readFileSync } from 'node:fs';
import {
  clusterDir,
  GitopsRepo,
  IN_CLUSTER_REPO_URL,
  isYamlMap,
  processRunner,
  repositoryDir,
  type Session,
  Snapshots,
  type YamlMap,
} from '@paddock/gitops';
import { parse } from 'yaml';
import { usageError } from '../cli-options.ts';
import type { CommandContext } from '../command.ts';
import { homeOf, targetCluster } from './cluster-support.ts';

export function repoOf(
  context: CommandContext,
  session: Session = targetCluster(context),
): GitopsRepo {
  return new GitopsRepo({
    dir: repositoryDir(homeOf(context), session.name),
    runner: processRunner(),
    settings: { repoURL: session.urls.repository ?? IN_CLUSTER_REPO_URL },
  });
}

export function snapshotsOf(context: CommandContext, session: Session): Snapshots {
  return new Snapshots({
    clusterDir: clusterDir(homeOf(context), session.name),
    runner: processRunner(),
  });
}

/** `--set key=value` pairs (values read as YAML: 4, true, [a, b]) into one object. */
export function setsOf({ invocation }: CommandContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const issues: Array<{ path: string; message: string }> = [];
  for (const pair of invocation.flags.set ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      issues.push({ path: '--set', message: `${pair}: must be KEY=VALUE` });
      continue;
    }
    const path = pair.slice(0, at).split('.');
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node[key] = typeof next === 'object' && next !== null ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1) ?? ''] = parse(pair.slice(at + 1));
  }
  if (issues.length > 0) throw usageError(issues);
  return out;
}

/** The YAML map of `--values FILE`, or an empty map. */
export function valuesFileOf({ invocation }: CommandContext): YamlMap {
  const file = invocation.flags.values;
  if (file === undefined) return {};
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usageError([{ path: '--values', message: (error as Error).message }]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isYamlMap(parsed)) throw usageError([{ path: '--values', message: 'must hold a YAML map' }]);
  return parsed;
}
