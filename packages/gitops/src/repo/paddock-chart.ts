// Paddock's own Helm chart in the GitOps repository. The catalog's `paddock` entry points at the
// repository itself (`gitops:self`) and a path in it; this writes the chart there. The files come
// from @paddock/kube's `chartFiles()`, the code `npm run chart` writes charts/paddock with, so an
// installed CLI carries the chart it installs and needs no source tree.
import { PaddockError } from '@paddock/core';
import { CHART_VERSION, chartFiles } from '@paddock/kube';
import { CATALOG_ENTRIES, type CatalogEntry, GITOPS_REPOSITORY } from '../catalog/index.ts';
import { Layout } from './layout.ts';

/** The compiled-in catalog entry of Paddock itself. */
const PADDOCK_ENTRY = CATALOG_ENTRIES.find((entry) => entry.name === 'paddock');

/** Where the chart goes when the repository's catalog does not say otherwise: `charts/paddock`. */
export const PADDOCK_CHART_PATH: string = PADDOCK_ENTRY?.path ?? 'charts/paddock';

/** Folders of the repository's own layout a chart may never be written into. */
const LAYOUT_ROOTS = new Set(Object.values(Layout).map((path) => path.split('/')[0]));

/**
 * The path the chart belongs at: that of the `paddock` entry among `entries` (the repository's
 * catalog) when it is served from the repository itself, else PADDOCK_CHART_PATH. Refuses a path
 * that leaves the repository or lands in one of its generated folders.
 */
export function paddockChartPath(entries: readonly CatalogEntry[]): string {
  const entry = entries.find((e) => e.name === 'paddock');
  const path =
    entry?.repoURL === GITOPS_REPOSITORY && entry.path !== undefined
      ? entry.path
      : PADDOCK_CHART_PATH;
  const parts = path.split('/');
  if (
    path.startsWith('/') ||
    parts.some((part) => part === '' || part === '.' || part === '..') ||
    LAYOUT_ROOTS.has(parts[0] ?? '')
  ) {
    throw new PaddockError(
      'validation_failed',
      `the paddock catalog entry's path ${JSON.stringify(path)} must be a folder of the repository outside ${[...LAYOUT_ROOTS].join(', ')}`,
      { path },
    );
  }
  return path;
}

/** The chart's files by their path in the repository (`<path>/Chart.yaml`, `<path>/crds/…`). */
export function paddockChartFiles(path: string = PADDOCK_CHART_PATH): Map<string, string> {
  return new Map([...chartFiles()].map(([file, text]) => [`${path}/${file}`, text]));
}

/** The version the chart files carry: chart version and Paddock's (appVersion). */
export function paddockChartVersion(): { chart: string; app: string } {
  const chart = chartFiles().get('Chart.yaml') ?? '';
  const app = chart.match(/^appVersion: "?([^"\n]+)"?$/m)?.[1] ?? CHART_VERSION;
  return { chart: CHART_VERSION, app };
}

/**
 * The changes that make `path` hold exactly this CLI's chart: the folder removed, then every file
 * written (so files an older chart had and this one lacks are gone in the same commit).
 */
export function paddockChartChanges(path: string): Array<{ path: string; content: string | null }> {
  return [
    { path, content: null },
    ...[...paddockChartFiles(path)].map(([file, content]) => ({ path: file, content })),
  ];
}
