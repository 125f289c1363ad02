/**
 * Template `files` on a read-only root file system. A file inside a writable directory
 * (/workspace, /tmp, the home) is written by the runtime while it provisions, so it stays an
 * ordinary file the sandbox may change. A file anywhere else cannot be written there: it is
 * projected read-only from a ConfigMap of the instance, one key per file, mounted with its mode.
 * A ConfigMap holds at most 1 MiB, so such files must be small.
 */

import { isPathWithin, type TemplateFile } from '@paddock/core';
import type { ConfigMap, Volume, VolumeMount } from './kube-types.ts';
import { Component, type Instance, instanceMeta } from './labels.ts';
import { objectName } from './names.ts';

/** The sandbox's writable directories, each its own volume. */
export const WORKSPACE_PATH = '/workspace';
export const HOME_PATH = '/home/user';
export const TMP_PATH = '/tmp';
/** Paddock's own directory in the sandbox (memory-backed): the start gate lives here. */
export const RUN_PATH = '/run/paddock';
export const WRITABLE_PATHS = [WORKSPACE_PATH, HOME_PATH, TMP_PATH] as const;

const FILES_VOLUME = 'template-files';
const DEFAULT_MODE = 0o644;

/** Splits files into those the runtime writes and those the pod mounts read-only. */
export function splitTemplateFiles(files: readonly TemplateFile[] = []): {
  written: TemplateFile[];
  mounted: TemplateFile[];
} {
  const isWritable = (file: TemplateFile) =>
    WRITABLE_PATHS.some((dir) => file.path !== dir && isPathWithin(dir, file.path));
  return { written: files.filter(isWritable), mounted: files.filter((f) => !isWritable(f)) };
}

export function filesConfigMapName(instance: Instance): string {
  return objectName(instance.name, 'files');
}

const keyOf = (index: number) => `file-${index}`;

/** The ConfigMap of the files the pod mounts; undefined when there are none. */
export function filesConfigMap(
  instance: Instance,
  files: readonly TemplateFile[] = [],
): ConfigMap | undefined {
  const { mounted } = splitTemplateFiles(files);
  if (mounted.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: instanceMeta(instance, filesConfigMapName(instance), Component.Files),
    data: Object.fromEntries(mounted.map((file, i) => [keyOf(i), file.content])),
    immutable: true,
  };
}

/** The volume and mounts that place each mounted file at its path; none when there are none. */
export function filesVolume(
  instance: Instance,
  files: readonly TemplateFile[] = [],
): { volumes: Volume[]; mounts: VolumeMount[] } {
  const { mounted } = splitTemplateFiles(files);
  if (mounted.length === 0) return { volumes: [], mounts: [] };
  const items = mounted.map((file, i) => ({
    key: keyOf(i),
    path: keyOf(i),
    mode: file.mode === undefined ? DEFAULT_MODE : Number.parseInt(file.mode, 8),
  }));
  return {
    volumes: [{ name: FILES_VOLUME, configMap: { name: filesConfigMapName(instance), items } }],
    mounts: mounted.map((file, i) => ({
      name: FILES_VOLUME,
      mountPath: file.path,
      subPath: keyOf(i),
      readOnly: true,
    })),
  };
}
