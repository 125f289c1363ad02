/**
 * The Pod of a sandbox instance. Template fields map as follows:
 * - `image` → the container image (the options' default when absent; `rootfs` is local only);
 * - `command` → the main process, held by a shell until the runtime creates the start gate
 *   (`START_GATE_PATH`) after provisioning; no command → the idle command;
 * - `workingDir` → workingDir (default /workspace); `env` → env, with HOME=/home/user;
 * - `resources` → requests = limits (`resources.ts`); `pids` → an annotation only (Kubernetes
 *   has no per-pod pids limit; the node's `podPidsLimit` applies);
 * - `isolation` → runtimeClassName: none for `process` (the cluster's default runtime, runc),
 *   the options' gVisor or Kata class otherwise;
 * - `workspace` → the instance's claim at /workspace; emptyDirs at /tmp, /home/user and
 *   /run/paddock; the root file system is read-only;
 * - `files` → written by the runtime, or projected from a ConfigMap (`template-files.ts`);
 * - `mounts[].credential` → the instance's Secret of that mount (`credentialSecretName`),
 *   read-only; `mounts[].hostPath` → refused (Pod Security forbids hostPath volumes);
 * - `ports` → containerPorts (Services: `port-services.ts`);
 * - `network` → proxy variables when an egress proxy pod carries `allowlist` egress;
 * - the Sandbox's `RUN_LABEL` (a run's sandbox) → the same label on the pod alone;
 * - `options.harness` → the run harness, copied by an init container of Paddock's image into an
 *   emptyDir mounted read-only at `HARNESS_PATH` (`harness.ts`);
 * - `repos`, `init`, `credentials`, `timeout`, `idleTimeout` → the runtime and reconciler.
 */

import {
  ErrorCode,
  Isolation,
  type Mount,
  PaddockError,
  type SandboxEnvironment,
} from '@paddock/core';
import { egressProxyEnv, usesEgressProxy } from './egress-proxy.ts';
import { containerSecurityContext, hardenedPodSpec } from './hardening.ts';
import { harnessParts } from './harness.ts';
import type { Container, EnvVar, Pod, Volume, VolumeMount } from './kube-types.ts';
import { Component, type Instance, instanceMeta, labelKeys, RUN_LABEL } from './labels.ts';
import { objectName } from './names.ts';
import type { ObjectOptions } from './options.ts';
import { sandboxResources } from './resources.ts';
import { serviceAccountName } from './service-account.ts';
import { filesVolume, HOME_PATH, RUN_PATH, TMP_PATH, WORKSPACE_PATH } from './template-files.ts';
import { workspaceClaimName } from './workspace-claim.ts';

export const MAIN_CONTAINER = 'sandbox';
/** The runtime creates this file once provisioning is done; the main command starts then. */
export const START_GATE_PATH = `${RUN_PATH}/start`;
const GATE_SCRIPT = `while [ ! -e ${START_GATE_PATH} ]; do sleep 0.2; done; exec "$@"`;

/** The Secret the runtime fills with the files of a credential mount of this instance. */
export function credentialSecretName(instance: Instance, mount: Pick<Mount, 'name'>): string {
  return objectName(instance.name, `mount-${mount.name}`);
}

function runtimeClassName(environment: SandboxEnvironment, options: ObjectOptions) {
  const isolation = environment.isolation ?? Isolation.Process;
  switch (isolation) {
    case Isolation.Process:
      return undefined;
    case Isolation.Gvisor:
      return options.runtimeClasses.gvisor;
    case Isolation.Kata:
      return options.runtimeClasses.kata;
  }
}

function mountVolumes(instance: Instance, mounts: readonly Mount[] = []) {
  const volumes: Volume[] = [];
  const volumeMounts: VolumeMount[] = [];
  for (const [i, mount] of mounts.entries()) {
    if (mount.hostPath !== undefined) {
      const path = `spec.mounts[${i}].hostPath`;
      const message =
        'host directories cannot be mounted on Kubernetes (Pod Security forbids hostPath)';
      throw new PaddockError(ErrorCode.ValidationFailed, `${path}: ${message}`, {
        issues: [{ path, message }],
      });
    }
    const name = `mount-${i}`;
    volumes.push({
      name,
      secret: { secretName: credentialSecretName(instance, mount), defaultMode: 0o440 },
    });
    volumeMounts.push({ name, mountPath: mount.mountPath, readOnly: true });
  }
  return { volumes, volumeMounts };
}

function containerEnv(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
): EnvVar[] {
  const own = environment.env ?? [];
  const proxy = usesEgressProxy(environment, options) ? egressProxyEnv(instance, options) : [];
  const overridden = new Set(proxy.map((v) => v.name));
  const env: EnvVar[] = own.some((v) => v.name === 'HOME')
    ? []
    : [{ name: 'HOME', value: HOME_PATH }];
  env.push(
    ...own.filter((v) => !overridden.has(v.name)).map(({ name, value }) => ({ name, value })),
  );
  env.push(...proxy);
  return env;
}

function mainCommand(environment: SandboxEnvironment, options: ObjectOptions): string[] {
  if (environment.command === undefined) return [...options.idleCommand];
  return [options.shell, '-c', GATE_SCRIPT, 'paddock-main', ...environment.command];
}

/** The sandbox Pod of an instance; `validation_failed` for a hostPath mount. */
export function sandboxPod(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
): Pod {
  const files = filesVolume(instance, environment.files);
  const mounts = mountVolumes(instance, environment.mounts);
  const harness =
    options.harness === undefined ? undefined : harnessParts(options.harness, options.sandboxUid);
  const container: Container = {
    name: MAIN_CONTAINER,
    image: environment.image ?? options.defaultImage,
    imagePullPolicy: 'IfNotPresent',
    command: mainCommand(environment, options),
    workingDir: environment.workingDir ?? WORKSPACE_PATH,
    env: containerEnv(instance, environment, options),
    resources: sandboxResources(environment, options),
    securityContext: containerSecurityContext(options.sandboxUid),
    volumeMounts: [
      { name: 'workspace', mountPath: WORKSPACE_PATH },
      { name: 'home', mountPath: HOME_PATH },
      { name: 'tmp', mountPath: TMP_PATH },
      { name: 'run', mountPath: RUN_PATH },
      ...files.mounts,
      ...mounts.volumeMounts,
      ...(harness === undefined ? [] : [harness.mount]),
    ],
    stdin: false,
    tty: false,
  };
  const ports = environment.ports ?? [];
  if (ports.length > 0) {
    container.ports = ports.map((p) => ({ containerPort: p.port, protocol: 'TCP' }));
  }
  const pids = environment.resources?.pids;
  const meta = instanceMeta(instance, instance.name, Component.Sandbox);
  const metadata =
    instance.run === undefined
      ? meta
      : { ...meta, labels: { ...meta.labels, [RUN_LABEL]: instance.run } };
  const runtimeClass = runtimeClassName(environment, options);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata:
      pids === undefined
        ? metadata
        : { ...metadata, annotations: { [labelKeys(options).pidsLimit]: String(pids) } },
    spec: {
      ...hardenedPodSpec(options, serviceAccountName(instance)),
      ...(runtimeClass === undefined ? {} : { runtimeClassName: runtimeClass }),
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
      ...(harness === undefined ? {} : { initContainers: [harness.initContainer] }),
      containers: [container],
      volumes: [
        { name: 'workspace', persistentVolumeClaim: { claimName: workspaceClaimName(instance) } },
        { name: 'home', emptyDir: { sizeLimit: options.homeSize } },
        { name: 'tmp', emptyDir: { sizeLimit: options.tmpSize } },
        { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        ...files.volumes,
        ...mounts.volumes,
        ...(harness === undefined ? [] : [harness.volume]),
      ],
    },
  };
}
