/**
 * What a provision request adds to the builders' objects: its extra env (`request.env`) and its
 * read-only files (`request.readOnlyFiles`), both as Secrets of the instance, never in the pod
 * spec (a run token is no business of whoever may read pods). The layout (which Secret holds
 * what, where it is mounted) carries no content: it is kept with the instance's state, so `start`
 * re-creates the same pod without being given the request again.
 *
 * Read-only files at a credential mount's `mountPath` fill that mount's Secret
 * (`credentialSecretName`, which the pod builder already mounts); others get a Secret and a
 * volume of their own. Each file is a key projected to its relative path, mode 0440 (0550 with an
 * execute bit): readable through the pod's fsGroup, never writable.
 */
import {
  ErrorCode,
  type FieldIssue,
  mountPathProblem,
  PaddockError,
  type ReadOnlyFiles,
  type SandboxEnvironment,
} from '@paddock/core';
import { z } from 'zod';
import type { Pod, Volume } from '../objects/kube-types.ts';
import { COMPONENT, type Instance } from '../objects/labels.ts';
import { objectName } from '../objects/names.ts';
import { credentialSecretName, MAIN_CONTAINER } from '../objects/sandbox-pod.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The component label of the Secrets made from a request. */
export const INPUTS_COMPONENT = 'runtime-inputs';

export const ReadOnlyVolume = z.strictObject({
  mountPath: z.string(),
  secretName: z.string(),
  items: z.array(z.strictObject({ key: z.string(), path: z.string(), mode: z.int() })),
});
export type ReadOnlyVolume = z.infer<typeof ReadOnlyVolume>;

export const InputsLayout = z.strictObject({
  /** The Secret holding `request.env` (its names, not values), loaded with `envFrom`. */
  env: z.strictObject({ secretName: z.string(), names: z.array(z.string()) }).optional(),
  readOnly: z.array(ReadOnlyVolume),
});
export type InputsLayout = z.infer<typeof InputsLayout>;

export type Secret = {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: Instance['owner'][];
  };
  type: 'Opaque';
  immutable: boolean;
  data: Record<string, string>;
};

function invalid(issues: FieldIssue[]): PaddockError {
  const first = issues[0] as FieldIssue;
  return new PaddockError(ErrorCode.ValidationFailed, `${first.path}: ${first.message}`, {
    issues,
  });
}

function filePathProblem(path: string): string | undefined {
  if (path === '' || path.startsWith('/') || path.includes('\0')) return 'must be a relative path';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..'))
    return 'must not hold empty, . or .. parts';
  return undefined;
}

/** `validation_failed` listing every bad env name, mount path, file path, and missing mount. */
export function checkInputs(
  environment: SandboxEnvironment,
  env: Readonly<Record<string, string>>,
  readOnlyFiles: readonly ReadOnlyFiles[],
): void {
  const issues: FieldIssue[] = [];
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name))
      issues.push({ path: `env.${name}`, message: 'is not a valid variable name' });
  }
  const seen = new Set<string>();
  readOnlyFiles.forEach((entry, i) => {
    const problem =
      mountPathProblem(entry.mountPath) ??
      (seen.has(entry.mountPath) ? 'is used twice' : undefined);
    if (problem) issues.push({ path: `readOnlyFiles[${i}].mountPath`, message: problem });
    seen.add(entry.mountPath);
    entry.files.forEach((file, j) => {
      const fileProblem = filePathProblem(file.path);
      if (fileProblem)
        issues.push({ path: `readOnlyFiles[${i}].files[${j}].path`, message: fileProblem });
    });
  });
  (environment.mounts ?? []).forEach((mount, i) => {
    if (mount.credential !== undefined && !seen.has(mount.mountPath)) {
      issues.push({
        path: `spec.mounts[${i}].credential`,
        message: `has no files: readOnlyFiles holds nothing for ${mount.mountPath}`,
      });
    }
  });
  if (issues.length > 0) throw invalid(issues);
}

function secret(instance: Instance, name: string, data: Record<string, string>): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: instance.namespace,
      labels: { ...instance.labels, [COMPONENT]: INPUTS_COMPONENT },
      ownerReferences: [{ ...instance.owner }],
    },
    type: 'Opaque',
    immutable: false,
    data,
  };
}

/** The Secrets of a request and their layout (call `checkInputs` first). */
export function runtimeInputs(
  instance: Instance,
  environment: SandboxEnvironment,
  env: Readonly<Record<string, string>>,
  readOnlyFiles: readonly ReadOnlyFiles[],
): { secrets: Secret[]; layout: InputsLayout } {
  const secrets: Secret[] = [];
  const layout: InputsLayout = { readOnly: [] };
  if (Object.keys(env).length > 0) {
    const name = objectName(instance.name, 'env');
    const data = Object.fromEntries(
      Object.entries(env).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    secrets.push(secret(instance, name, data));
    layout.env = { secretName: name, names: Object.keys(env) };
  }
  readOnlyFiles.forEach((entry, i) => {
    const mount = environment.mounts?.find(
      (m) => m.credential !== undefined && m.mountPath === entry.mountPath,
    );
    const name =
      mount === undefined
        ? objectName(instance.name, `files-ro-${i}`)
        : credentialSecretName(instance, mount);
    const items = entry.files.map((file, j) => ({
      key: `f${j}`,
      path: file.path,
      mode: (file.mode ?? 0) & 0o111 ? 0o550 : 0o440,
    }));
    const data = Object.fromEntries(
      entry.files.map((file, j) => [`f${j}`, Buffer.from(file.content).toString('base64')]),
    );
    secrets.push(secret(instance, name, data));
    layout.readOnly.push({
      mountPath: entry.mountPath,
      secretName: name,
      items,
    });
  });
  return { secrets, layout };
}

/** The egress proxy's variables: the pod's own `env` keeps them over a request's. */
const PROXY_VARIABLES = new Set([
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
]);

/**
 * The sandbox pod with the request's inputs: the env Secret loaded with `envFrom`, its names
 * taking precedence over the template's (as the local runtime's extra env does) but not over the
 * egress proxy's; each read-only Secret projected item by item. Pure: returns a new pod.
 */
export function withInputs(pod: Pod, layout: InputsLayout): Pod {
  const spec = structuredClone(pod.spec);
  if (spec === undefined) return pod;
  const container = spec.containers.find((c) => c.name === MAIN_CONTAINER);
  if (container === undefined) return pod;
  spec.volumes ??= [];
  if (layout.env !== undefined) {
    // An explicit `env` entry wins over `envFrom`: drop the template's entries the request sets.
    const names = new Set(layout.env.names.filter((n) => !PROXY_VARIABLES.has(n)));
    container.env = (container.env ?? []).filter((v) => !names.has(v.name));
    container.envFrom = [
      ...(container.envFrom ?? []),
      { secretRef: { name: layout.env.secretName } },
    ];
  }
  layout.readOnly.forEach((entry, i) => {
    const items = entry.items.map(({ key, path, mode }) => ({ key, path, mode }));
    const existing = spec.volumes?.find((v) => v.secret?.secretName === entry.secretName);
    if (existing?.secret !== undefined) {
      existing.secret = { ...existing.secret, items };
      return;
    }
    const volume: Volume = {
      name: `files-ro-${i}`,
      secret: { secretName: entry.secretName, items },
    };
    spec.volumes?.push(volume);
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: volume.name, mountPath: entry.mountPath, readOnly: true },
    ];
  });
  return { ...pod, spec };
}
