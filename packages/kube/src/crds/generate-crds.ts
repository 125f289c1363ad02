/**
 * `npm run crds`: writes the CRD of every Paddock kind to `deploy/crds/` and removes CRD files of
 * kinds that no longer exist. The staleness test fails until this has run after a schema change.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { KIND_NAMES } from '@paddock/core';
import { CRD_DIR, crdFiles, crdPath } from './crd-files.ts';
import { crdSchema } from './crds.ts';

const files = crdFiles();
mkdirSync(CRD_DIR, { recursive: true });
for (const file of readdirSync(CRD_DIR)) {
  if (file.endsWith('.yaml') && !files.has(file)) rmSync(crdPath(file));
}
for (const [file, text] of files) writeFileSync(crdPath(file), text);
for (const kind of KIND_NAMES) {
  for (const widening of crdSchema(kind).widenings) console.warn(`${kind}: widened: ${widening}`);
}
console.log(`wrote ${files.size} CRDs to deploy/crds/`);
