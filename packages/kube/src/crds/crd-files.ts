import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type CustomResourceDefinition, paddockCrds } from './crds.ts';

/** Where the generated CRDs are committed: `deploy/crds/` of the repository. */
export const CRD_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'deploy',
  'crds',
);

const HEADER =
  '# Generated from the zod schemas of @paddock/core by `npm run crds`: do not edit.\n';

/** The file name of a CRD, as kubebuilder names them: `paddock.dev_sandboxes.yaml`. */
export function crdFileName(crd: CustomResourceDefinition): string {
  const [plural, ...group] = crd.metadata.name.split('.');
  return `${group.join('.')}_${plural}.yaml`;
}

/** Every CRD as the YAML file committed under `deploy/crds/`, by file name. */
export function crdFiles(): Map<string, string> {
  return new Map(
    paddockCrds().map((crd) => [
      crdFileName(crd),
      HEADER + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false }),
    ]),
  );
}

/** The path of a CRD file. */
export function crdPath(file: string): string {
  return join(CRD_DIR, file);
}
