/**
 * The values Helm installs Cilium or Argo CD with: the compiled-in values (bootstrap-plan) with
 * the repository's `infra/<component>.yaml` deep-merged over them (maps merge, the rest replaces),
 * written to the cluster's folder, not the repository
 * (`$PADDOCK_HOME/clusters/<name>/<component>-values.yaml`, mode 0600 as values may hold
 * secrets), and given to `helm upgrade --install` as `--values FILE`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { InfraComponent, type YamlMap } from '../repo/index.ts';
import {
  argocdValues,
  type Command,
  ciliumValues,
  helmArgocd,
  helmCilium,
} from './bootstrap-plan.ts';
import type { GitopsRepository } from './gitops-repository.ts';
import { clusterDir } from './session.ts';

/** The components whose Helm release `paddock cluster` installs itself. */
export type HelmComponent = typeof InfraComponent.Cilium | typeof InfraComponent.ArgoCd;

/** Where a cluster's `helm --values` file of `component` is written. */
export function helmValuesPath(home: string, name: string, component: HelmComponent): string {
  return join(clusterDir(home, name), `${component}-values.yaml`);
}

export type HelmValuesOptions = {
  /** `$PADDOCK_HOME`. */
  home: string;
  /** The cluster's name. */
  name: string;
  component: HelmComponent;
  repository: GitopsRepository;
  repositoryDir: string;
  repoURL: string;
};

/**
 * Merges `infra/<component>.yaml` (as the repository's work tree holds it; none: the defaults
 * alone) over the compiled-in values and writes the result atomically (a temporary file renamed
 * over the old one). `validation_failed` naming the file when it is not a YAML map.
 */
export async function writeHelmValues(
  options: HelmValuesOptions,
): Promise<{ path: string; values: YamlMap }> {
  const defaults =
    options.component === InfraComponent.Cilium ? ciliumValues(options.name) : argocdValues();
  const values = await options.repository.infraValues(
    options.repositoryDir,
    options.repoURL,
    options.component,
    defaults,
  );
  const path = helmValuesPath(options.home, options.name, options.component);
  const dir = clusterDir(options.home, options.name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${options.component}-values.yaml.${randomBytes(6).toString('hex')}`);
  await writeFile(temp, stringify(values, { lineWidth: 0 }), { mode: 0o600 });
  await rename(temp, path);
  return { path, values };
}

/** Writes the component's values file, then gives the `helm upgrade --install` that reads it. */
export async function helmInstall(
  options: HelmValuesOptions & { kubeconfig: string },
): Promise<Command> {
  const { path } = await writeHelmValues(options);
  const install = { kubeconfig: options.kubeconfig, valuesFile: path };
  return options.component === InfraComponent.Cilium ? helmCilium(install) : helmArgocd(install);
}
