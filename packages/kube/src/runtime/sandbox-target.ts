/**
 * Where a sandbox's processes run: its pod (named after the instance, `instanceName`) and the main
 * container (`MAIN_CONTAINER`), for a ref whose uid owns them. A sandbox with a pod that is not
 * Ready, or with no pod but its kept state (stopped), is `invalid_transition`: nothing runs until
 * `start`. No pod and no state of this uid is `sandbox_not_found`.
 */
import { ErrorCode, PaddockError, type SandboxRef } from '@paddock/core';
import type { PodTarget } from '../exec/exec-in-pod.ts';
import type { ConfigMap, Pod } from '../objects/kube-types.ts';
import { MAIN_CONTAINER } from '../objects/sandbox-pod.ts';
import { apiResource } from './api-paths.ts';
import { instanceName, sandboxOwnerUid } from './instance-ref.ts';
import type { ObjectApi } from './object-api.ts';
import { isPodReady } from './pod-observation.ts';
import { stateName } from './runtime-state.ts';
import { WARM_NAMESPACE } from './warm-entry.ts';

const POD = apiResource('v1', 'Pod');
const CONFIG_MAP = apiResource('v1', 'ConfigMap');

export type SandboxPod = { target: PodTarget; pod: Pod };

/** The running pod of `ref`, or the error the contract names. */
export async function sandboxPod(api: ObjectApi, ref: SandboxRef): Promise<SandboxPod> {
  const name = instanceName(ref);
  if (ref.namespace !== WARM_NAMESPACE) {
    const pod = await api.get<Pod>(POD, ref.namespace, name);
    if (pod !== undefined && sandboxOwnerUid(pod) === ref.uid) {
      if (pod.metadata?.deletionTimestamp === undefined && isPodReady(pod)) {
        return { target: { namespace: ref.namespace, pod: name, container: MAIN_CONTAINER }, pod };
      }
      throw notRunning(ref, 'its pod is not Ready');
    }
    const state = await api.get<ConfigMap>(CONFIG_MAP, ref.namespace, stateName(name));
    if (state !== undefined && sandboxOwnerUid(state) === ref.uid) {
      throw notRunning(ref, 'it is stopped; start it first');
    }
  }
  throw new PaddockError(
    ErrorCode.SandboxNotFound,
    `sandbox ${ref.namespace}/${ref.name} (uid ${ref.uid}) has no pod in the cluster`,
  );
}

function notRunning(ref: SandboxRef, why: string): PaddockError {
  return new PaddockError(
    ErrorCode.InvalidTransition,
    `sandbox ${ref.namespace}/${ref.name} is not running: ${why}`,
  );
}
