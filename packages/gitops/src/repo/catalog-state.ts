// The catalog's state as the repository holds it: one `catalog/<name>.yaml` per entry. The
// catalog part (src/catalog) owns the entries and their dependency resolution; this is the
// structural shape the repository writes and reads back, field for field the list.
import { z } from 'zod';
import { NAME_MAX_LENGTH, NAME_PATTERN } from './layout.ts';

const Name = z.string().max(NAME_MAX_LENGTH).regex(NAME_PATTERN, 'must be a DNS-1123 label');

export const CatalogEntryState = z.object({
  name: Name,
  category: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a label value'),
  description: z.string(),
  repoURL: z.string().min(1),
  chart: z.string().min(1),
  targetRevision: z.string().min(1),
  namespace: Name,
  enabled: z.boolean(),
  /** Rollout order: lower tiers are Healthy before higher ones start (the sync wave). */
  tier: z.number().int().min(0).max(99),
  dependsOn: z.array(Name),
  /** Helm values, written to `catalog/values/<name>.yaml` when given. */
  values: z.record(z.string(), z.unknown()).optional(),
});
export type CatalogEntryState = z.infer<typeof CatalogEntryState>;
export type CatalogEntryInput = z.input<typeof CatalogEntryState>;

/** The catalog file's fields, in the order they are written. */
export function catalogFileContent(entry: CatalogEntryState): Record<string, unknown> {
  return {
    name: entry.name,
    category: entry.category,
    description: entry.description,
    repoURL: entry.repoURL,
    chart: entry.chart,
    targetRevision: entry.targetRevision,
    namespace: entry.namespace,
    enabled: entry.enabled,
    tier: entry.tier,
    dependsOn: entry.dependsOn,
  };
}

/**
 * The commit message of a catalog change when the caller gives none: what was enabled, disabled
 * and otherwise changed (`catalog: enable litellm, postgresql; disable ollama`).
 */
export function catalogChangeMessage(
  before: ReadonlyMap<string, CatalogEntryState>,
  after: ReadonlyMap<string, CatalogEntryState>,
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
