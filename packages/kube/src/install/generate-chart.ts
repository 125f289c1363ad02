/**
 * `npm run chart`: writes the Helm chart `charts/paddock` from the renderers of `paddock install`
 * and removes files it no longer generates. The staleness test fails until this has run after a
 * change to the renderers or the values.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHART_DIR, chartFiles } from './helm-chart.ts';

const files = chartFiles();
for (const dir of ['templates', 'crds']) {
  mkdirSync(join(CHART_DIR, dir), { recursive: true });
  for (const file of readdirSync(join(CHART_DIR, dir))) {
    if (!files.has(`${dir}/${file}`)) rmSync(join(CHART_DIR, dir, file));
  }
}
for (const [file, text] of files) {
  mkdirSync(dirname(join(CHART_DIR, file)), { recursive: true });
  writeFileSync(join(CHART_DIR, file), text);
}
console.log(`wrote ${files.size} files to charts/paddock/`);
