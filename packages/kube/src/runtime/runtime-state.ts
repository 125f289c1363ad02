/**
 * What `start` needs to make a stopped sandbox's pod again, kept in a ConfigMap of the instance
 * (`<instance>-runtime`) written first at provision and owned by the Sandbox like every other
 * object: the resolved environment, the template it came from (for the instance's labels) and the
 * layout of the request's Secrets (names only, no content). A ConfigMap rather than an annotation
 * on the workspace claim: an environment with files may pass the 256 KiB annotation limit, while
 * a ConfigMap holds 1 MiB. The annotation `<prefix>stopped` marks a sandbox stopped on purpose, so
 * a repeated provision leaves it stopped.
 */
import { ErrorCode, PaddockError, SandboxEnvironment, TemplateRef } from '@paddock/core';
import { z } from 'zod';
import type { ConfigMap } from '../objects/kube-types.ts';
import { COMPONENT, type Instance } from '../objects/labels.ts';
import { objectName } from '../objects/names.ts';
import type { ObjectOptions } from '../objects/options.ts';
import { InputsLayout } from './runtime-inputs.ts';

export const STATE_COMPONENT = 'runtime-state';
const KEY = 'state.json';

export const RuntimeStateData = z.strictObject({
  environment: SandboxEnvironment,
  templateRef: TemplateRef,
  inputs: InputsLayout,
  /** The Sandbox's `RUN_LABEL` at provision (a Run's sandbox). */
  run: z.string().min(1).optional(),
});
export type RuntimeStateData = z.infer<typeof RuntimeStateData>;

export function stateName(instanceName: string): string {
  return objectName(instanceName, 'runtime');
}

/** The annotation that marks a sandbox stopped on purpose. */
export function stoppedAnnotation(options: Pick<ObjectOptions, 'labelPrefix'>): string {
  return `${options.labelPrefix}stopped`;
}

export function stateConfigMap(instance: Instance, data: RuntimeStateData): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: stateName(instance.name),
      namespace: instance.namespace,
      labels: { ...instance.labels, [COMPONENT]: STATE_COMPONENT },
      ownerReferences: [{ ...instance.owner }],
    },
    data: { [KEY]: JSON.stringify(data) },
  };
}

/** A merge patch of the state ConfigMap that replaces its data with `data`. */
export function stateDataPatch(data: RuntimeStateData): { data: Record<string, string> } {
  return { data: { [KEY]: JSON.stringify(data) } };
}

/** The state a ConfigMap holds; `internal` when it does not parse (written by another version). */
export function readState(configMap: ConfigMap): RuntimeStateData {
  const text = configMap.data?.[KEY];
  try {
    return RuntimeStateData.parse(JSON.parse(text ?? ''));
  } catch (error) {
    throw new PaddockError(
      ErrorCode.Internal,
      `ConfigMap ${configMap.metadata?.namespace}/${configMap.metadata?.name}: unreadable ${KEY}: ${(error as Error).message}`,
    );
  }
}

export function isStopped(
  configMap: ConfigMap,
  options: Pick<ObjectOptions, 'labelPrefix'>,
): boolean {
  return configMap.metadata?.annotations?.[stoppedAnnotation(options)] === 'true';
}
