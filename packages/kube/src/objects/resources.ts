/**
 * Requests and limits of a sandbox from its template. Requests equal limits (the Guaranteed QoS
 * class): a sandbox gets what it was admitted with, and agent-namespace quotas count it once.
 */

import {
  addQuantity,
  canonicalQuantity,
  formatQuantity,
  parseQuantity,
  type SandboxEnvironment,
} from '@paddock/core';
import { withHarnessStorage } from './harness.ts';
import type { ResourceRequirements } from './kube-types.ts';
import type { ObjectOptions } from './options.ts';

/** Room for logs and the writable bits of the image beside /tmp and the home directory. */
const EPHEMERAL_HEADROOM = '256Mi';

/**
 * cpu and memory from `resources` (the options' defaults when absent), ephemeral storage from
 * the /tmp and home sizes (and the harness's emptyDir, when pods get one). Quantities are written in canonical form (`0.5` → `500m`).
 */
export function sandboxResources(
  environment: SandboxEnvironment,
  options: ObjectOptions,
): ResourceRequirements {
  const cpu = canonicalQuantity(environment.resources?.cpu ?? options.defaultResources.cpu);
  const memory = canonicalQuantity(
    environment.resources?.memory ?? options.defaultResources.memory,
  );
  const ephemeral = withHarnessStorage(
    formatQuantity(
      [options.homeSize, EPHEMERAL_HEADROOM]
        .map(parseQuantity)
        .reduce(addQuantity, parseQuantity(options.tmpSize)),
    ),
    options.harness,
  );
  const amounts = { cpu, memory, 'ephemeral-storage': ephemeral };
  return { requests: { ...amounts }, limits: { ...amounts } };
}

/** The workspace claim's size: `workspace.size`, else `resources.storage`, else the default. */
export function workspaceSize(environment: SandboxEnvironment, options: ObjectOptions): string {
  return canonicalQuantity(
    environment.workspace?.size ?? environment.resources?.storage ?? options.defaultWorkspaceSize,
  );
}
