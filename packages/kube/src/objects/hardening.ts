/**
 * The security settings every Paddock pod shares, chosen to pass the Pod Security Standards
 * "restricted" profile field by field (`pod-security.ts` checks it): a non-root uid, no
 * privilege escalation, every capability dropped, the runtime's default seccomp profile, a
 * read-only root file system, no service-account token, no host namespaces.
 */
import type { PodSecurityContext, PodSpec, SecurityContext } from './kube-types.ts';
import type { ObjectOptions } from './options.ts';

export function podSecurityContext(options: ObjectOptions): PodSecurityContext {
  const uid = options.sandboxUid;
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    // The workspace volume is made writable for the sandbox's group.
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(options: ObjectOptions): SecurityContext {
  const uid = options.sandboxUid;
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
    securityContext: podSecurityContext(options),
  };
}
