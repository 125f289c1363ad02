// The Helm chart charts/paddock: the committed files are what `npm run chart` writes from the
// renderers (so they cannot drift from paddock install), and, where `helm` is on PATH,
// `helm template` gives the same objects as `paddock install --dry-run` for the same values.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { CHART_DIR, chartFiles } from './helm-chart.ts';
import type { KubeObject } from './install-meta.ts';
import { installManifest } from './render.ts';
import { defaultValues, resolveValues } from './values.ts';

const run = promisify(execFile);

const helmOnPath = (process.env.PATH ?? '')
  .split(delimiter)
  .some((dir) => dir !== '' && existsSync(join(dir, 'helm')));
const helmSkip = helmOnPath
  ? undefined
  : 'helm is not on PATH: the chart is compared without it by its staleness test';

describe('charts/paddock', () => {
  it('is what `npm run chart` writes (run it after changing the renderers or values)', () => {
    const stale: string[] = [];
    for (const [file, text] of chartFiles()) {
      const path = join(CHART_DIR, file);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(file);
    }
    assert.deepEqual(stale, [], 'stale: run npm run chart');
  });

  it('values.yaml holds the defaults of paddock install', () => {
    const text = chartFiles().get('values.yaml') ?? '';
    assert.deepEqual(resolveValues({ fileText: text }), defaultValues());
  });

  const cases: Record<string, string[]> = {
    defaults: [],
    everything: [
      'ingress.enabled=true',
      'monitoring.prometheusOperator=enabled',
      'controller.extraArgs=[--install-crds]',
      'networkPolicy.apiServerCidrs=[10.0.0.1/32, 10.0.0.2/32]',
      'monitoring.labels={release: prom}',
      'controller.replicas=3',
      'image.tag=1.2.3',
    ],
    'controller only': [
      'server.enabled=false',
      'createNamespace=false',
      'networkPolicy.enabled=false',
    ],
  };
  for (const [name, sets] of Object.entries(cases)) {
    it(`helm template gives the objects of paddock install --dry-run: ${name}`, {
      skip: helmSkip ?? false,
    }, async () => {
      const values = resolveValues({ sets });
      const dir = mkdtempSync(join(tmpdir(), 'paddock-chart-'));
      try {
        const valuesFile = join(dir, 'values.yaml');
        writeFileSync(valuesFile, stringify(values));
        const { stdout } = await run(
          'helm',
          ['template', values.name, CHART_DIR, '--include-crds', '--values', valuesFile],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        const byKey = (objects: KubeObject[]) =>
          new Map(
            objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]),
          );
        const fromHelm = byKey(
          parseAllDocuments(stdout)
            .map((d) => d.toJS() as KubeObject | null)
            .filter((o): o is KubeObject => o !== null),
        );
        const manifest = installManifest(values);
        const fromInstall = byKey([...manifest.crds, ...manifest.objects] as KubeObject[]);
        assert.deepEqual([...fromHelm.keys()].sort(), [...fromInstall.keys()].sort());
        for (const [key, object] of fromInstall) assert.deepEqual(fromHelm.get(key), object, key);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
