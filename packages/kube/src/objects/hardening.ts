/**
 * The security settings every Paddock pod shares, chosen to pass the Pod Security Standards
 * "restricted" profile field by field (`pod-security.ts` checks it): a non-root uid, no
 * privilege escalation, every capability dropped, the runtime's default seccomp profile, a
 * read-only root file system, no service-account token, no host namespaces.
 */
import type { PodSecurityContext, PodSpec, SecurityContext } from './kube-types.ts';
import type { ObjectOptions } from './options.ts';

/** The pod-level security context of a pod whose processes run as `uid` (and its group). */
export function podSecurityContext(uid: number): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    // Mounted volumes are made writable for the group.
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The container-level security context of a container running as `uid` (and its group). */
export function containerSecurityContext(uid: number): SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The pod-level fields every Paddock pod sets, whatever it runs. */
export function hardenedPodSpec(
  options: ObjectOptions,
  serviceAccountName: string,
): Pick<
  PodSpec,
  | 'automountServiceAccountToken'
  | 'enableServiceLinks'
  | 'hostIPC'
  | 'hostNetwork'
  | 'hostPID'
  | 'securityContext'
  | 'serviceAccountName'
  | 'shareProcessNamespace'
> {
  return {
    serviceAccountName,
    automountServiceAccountToken: false,
    // No environment variables describing the namespace's other services.
    enableServiceLinks: false,
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    shareProcessNamespace: false,
    // Only a volume whose root is not yet the sandbox's group is walked to change owners.
    securityContext: {
      ...podSecurityContext(options.sandboxUid),
      fsGroupChangePolicy: 'OnRootMismatch',
    },
  };
}
