// The catalog's state as the repository holds it: one `catalog/<name>.yaml` per entry, its Helm
// values in `catalog/values/<name>.yaml`. The catalog part (src/catalog) owns the entries and
// their dependency resolution; this maps its entries to the files the catalog ApplicationSet reads
// and back.
import { ErrorCode, PaddockError } from '@paddock/core';
import { parse } from 'yaml';
import { z } from 'zod';
import { CatalogEntry, GITOPS_REPOSITORY } from '../catalog/index.ts';

/**
 * The file `catalog/<name>.yaml`: the entry's fields, except that a chart in a git repository
 * is `chartPath` (Argo CD's git generator reserves `path` for the file's own path) and both
 * `chart` and `chartPath` are always present, one empty (the templates fail on a missing key).
 */
export const CatalogFile = z.object({
  name: z.string(),
  category: z.string(),
  description: z.string(),
  repoURL: z.string(),
  chart: z.string(),
  chartPath: z.string(),
  targetRevision: z.string(),
  namespace: z.string(),
  enabled: z.boolean(),
  tier: z.number(),
  dependsOn: z.array(z.string()),
  prerequisites: z.array(z.string()).default([]),
});
export type CatalogFile = z.infer<typeof CatalogFile>;

/** The file of an entry; `gitops:self` becomes the URL Argo CD reaches this repository at. */
export function catalogFileContent(entry: CatalogEntry, repoURL: string): CatalogFile {
  return {
    name: entry.name,
    category: entry.category,
    description: entry.description,
    repoURL: entry.repoURL === GITOPS_REPOSITORY ? repoURL : entry.repoURL,
    chart: entry.chart ?? '',
    chartPath: entry.path ?? '',
    targetRevision: entry.targetRevision,
    namespace: entry.namespace,
    enabled: entry.enabled,
    tier: entry.tier,
    dependsOn: entry.dependsOn,
    prerequisites: entry.prerequisites,
  };
}

/** The entry a file and its values hold (the inverse of `catalogFileContent`). */
export function catalogEntryOf(
  file: CatalogFile,
  values: Record<string, unknown>,
  repoURL: string,
): CatalogEntry {
  const { chart, chartPath, repoURL: url, ...rest } = file;
  return CatalogEntry.parse({
    ...rest,
    repoURL: url === repoURL ? GITOPS_REPOSITORY : url,
    ...(chart === '' ? {} : { chart }),
    ...(chartPath === '' ? {} : { path: chartPath }),
    values,
  });
}

/**
 * The entry `catalog/<name>.yaml` holds (its text) with its values: a file that is not YAML, or
 * not an entry, is `validation_failed` naming the file and each field wrong, never a bare parse
 * error (the files are meant to be edited by hand too).
 */
export function readCatalogEntry(
  path: string,
  text: string,
  values: Record<string, unknown>,
  repoURL: string,
): CatalogEntry {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `${path} is not YAML: ${(error as Error).message}`,
      { file: path },
    );
  }
  try {
    return catalogEntryOf(CatalogFile.parse(document), values, repoURL);
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `${path} is not a catalog entry: ${issues.map((i) => `${i.path || '(file)'}: ${i.message}`).join('; ')}`,
      { file: path, issues },
    );
  }
}

/**
 * The commit message of a catalog change when the caller gives none: what was enabled, disabled
 * and otherwise changed (`catalog: enable litellm, postgresql; disable ollama`).
 */
export function catalogChangeMessage(
  before: ReadonlyMap<string, CatalogEntry>,
  after: ReadonlyMap<string, CatalogEntry>,
): string {
  const enabled: string[] = [];
  const disabled: string[] = [];
  const changed: string[] = [];
  for (const [name, entry] of after) {
    const previous = before.get(name);
    const wasEnabled = previous?.enabled ?? false;
    if (entry.enabled && !wasEnabled) enabled.push(name);
    else if (!entry.enabled && wasEnabled) disabled.push(name);
    else if (previous === undefined || JSON.stringify(previous) !== JSON.stringify(entry))
      changed.push(name);
  }
  for (const [name, entry] of before) {
    if (!after.has(name)) (entry.enabled ? disabled : changed).push(name);
  }
  const parts = [
    enabled.length > 0 ? `enable ${enabled.sort().join(', ')}` : '',
    disabled.length > 0 ? `disable ${disabled.sort().join(', ')}` : '',
    changed.length > 0 ? `update ${changed.sort().join(', ')}` : '',
  ].filter((part) => part !== '');
  return `catalog: ${parts.length > 0 ? parts.join('; ') : 'update'}`;
}
