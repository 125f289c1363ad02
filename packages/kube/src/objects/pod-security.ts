/**
 * The Kubernetes Pod Security Standards (version `latest`), checked offline on a pod: every
 * rule of "baseline" and of "restricted" (which includes baseline), each violation named with
 * its field path. Pure; the same rules the API server's Pod Security admission applies, so a
 * pod with no violations is admitted into a namespace enforcing "restricted".
 */
import type { Container, Pod, SecurityContext } from './kube-types.ts';

export const PodSecurityLevel = { Baseline: 'baseline', Restricted: 'restricted' } as const;
export type PodSecurityLevel = (typeof PodSecurityLevel)[keyof typeof PodSecurityLevel];

/** The rules, by the names the standard gives them. */
export const PodSecurityRule = {
  HostProcess: 'hostProcess',
  HostNamespaces: 'hostNamespaces',
  Privileged: 'privileged',
  CapabilitiesBaseline: 'capabilities.baseline',
  HostPathVolumes: 'hostPathVolumes',
  HostPorts: 'hostPorts',
  AppArmor: 'appArmor',
  SeLinux: 'seLinux',
  ProcMount: 'procMount',
  SeccompBaseline: 'seccomp.baseline',
  Sysctls: 'sysctls',
  VolumeTypes: 'volumeTypes',
  PrivilegeEscalation: 'allowPrivilegeEscalation',
  RunAsNonRoot: 'runAsNonRoot',
  RunAsUser: 'runAsUser',
  SeccompRestricted: 'seccomp.restricted',
  CapabilitiesRestricted: 'capabilities.restricted',
} as const;
export type PodSecurityRule = (typeof PodSecurityRule)[keyof typeof PodSecurityRule];

export type PodSecurityViolation = {
  level: PodSecurityLevel;
  rule: PodSecurityRule;
  /** Where, as a field path: `spec.containers[0].securityContext.privileged`. */
  path: string;
  message: string;
};

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
const RESTRICTED_VOLUME_SOURCES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const CONFINED_PROFILES = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

type Report = (rule: PodSecurityRule, path: string, message: string) => void;

function containersOf(pod: Pod): Array<{ path: string; container: Container }> {
  const spec = pod.spec;
  const groups = [
    ['containers', spec?.containers ?? []],
    ['initContainers', spec?.initContainers ?? []],
    ['ephemeralContainers', spec?.ephemeralContainers ?? []],
  ] as const;
  return groups.flatMap(([field, list]) =>
    list.map((container, i) => ({
      path: `spec.${field}[${i}]`,
      container: container as Container,
    })),
  );
}

function checkBaseline(pod: Pod, report: Report): void {
  const spec = pod.spec;
  const podSc = spec?.securityContext;
  if (podSc?.windowsOptions?.hostProcess === true) {
    report('hostProcess', 'spec.securityContext.windowsOptions.hostProcess', 'must not be true');
  }
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec?.[field] === true) report('hostNamespaces', `spec.${field}`, 'must not be true');
  }
  for (const [i, volume] of (spec?.volumes ?? []).entries()) {
    if (volume.hostPath !== undefined) {
      report('hostPathVolumes', `spec.volumes[${i}].hostPath`, 'hostPath volumes are forbidden');
    }
  }
  for (const [i, sysctl] of (podSc?.sysctls ?? []).entries()) {
    if (!SAFE_SYSCTLS.has(sysctl.name)) {
      report(
        'sysctls',
        `spec.securityContext.sysctls[${i}].name`,
        `${sysctl.name} is not a safe sysctl`,
      );
    }
  }
  checkConfinement(podSc, 'spec.securityContext', report);
  for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (
      key.startsWith(APPARMOR_ANNOTATION) &&
      value !== 'runtime/default' &&
      !value.startsWith('localhost/')
    ) {
      report(
        'appArmor',
        `metadata.annotations[${key}]`,
        `${value} is not runtime/default or localhost/*`,
      );
    }
  }
  for (const { path, container } of containersOf(pod)) {
    const sc = container.securityContext;
    const at = `${path}.securityContext`;
    if (sc?.windowsOptions?.hostProcess === true) {
      report('hostProcess', `${at}.windowsOptions.hostProcess`, 'must not be true');
    }
    if (sc?.privileged === true) report('privileged', `${at}.privileged`, 'must not be true');
    for (const [j, cap] of (sc?.capabilities?.add ?? []).entries()) {
      if (!BASELINE_CAPABILITIES.has(cap)) {
        report('capabilities.baseline', `${at}.capabilities.add[${j}]`, `${cap} is not allowed`);
      }
    }
    for (const [j, port] of (container.ports ?? []).entries()) {
      if (port.hostPort !== undefined && port.hostPort !== 0) {
        report('hostPorts', `${path}.ports[${j}].hostPort`, 'host ports are forbidden');
      }
    }
    if (sc?.procMount !== undefined && sc.procMount !== 'Default') {
      report('procMount', `${at}.procMount`, 'must be Default');
    }
    checkConfinement(sc, at, report);
  }
}

/** AppArmor, SELinux and seccomp limits, the same at pod and container level. */
function checkConfinement(
  sc: Pick<SecurityContext, 'appArmorProfile' | 'seLinuxOptions' | 'seccompProfile'> | undefined,
  at: string,
  report: Report,
): void {
  const appArmor = sc?.appArmorProfile?.type;
  if (appArmor !== undefined && !CONFINED_PROFILES.has(appArmor)) {
    report('appArmor', `${at}.appArmorProfile.type`, 'must be RuntimeDefault or Localhost');
  }
  const seLinux = sc?.seLinuxOptions;
  if (seLinux?.type !== undefined && !SELINUX_TYPES.has(seLinux.type)) {
    report('seLinux', `${at}.seLinuxOptions.type`, `${seLinux.type} is not an allowed type`);
  }
  for (const field of ['user', 'role'] as const) {
    if ((seLinux?.[field] ?? '') !== '') {
      report('seLinux', `${at}.seLinuxOptions.${field}`, 'must not be set');
    }
  }
  if (sc?.seccompProfile?.type === 'Unconfined') {
    report('seccomp.baseline', `${at}.seccompProfile.type`, 'must not be Unconfined');
  }
}

function checkRestricted(pod: Pod, report: Report): void {
  const spec = pod.spec;
  const podSc = spec?.securityContext;
  const isWindows = spec?.os?.name === 'windows';
  for (const [i, volume] of (spec?.volumes ?? []).entries()) {
    for (const source of Object.keys(volume)) {
      if (source !== 'name' && !RESTRICTED_VOLUME_SOURCES.has(source)) {
        report('volumeTypes', `spec.volumes[${i}].${source}`, `${source} volumes are not allowed`);
      }
    }
  }
  if (podSc?.runAsUser === 0)
    report('runAsUser', 'spec.securityContext.runAsUser', 'must not be 0');
  const podNonRoot = podSc?.runAsNonRoot === true;
  if (podSc?.runAsNonRoot === false) {
    report('runAsNonRoot', 'spec.securityContext.runAsNonRoot', 'must not be false');
  }
  const podSeccomp = podSc?.seccompProfile?.type;
  const podConfined = podSeccomp !== undefined && CONFINED_PROFILES.has(podSeccomp);
  for (const { path, container } of containersOf(pod)) {
    const sc = container.securityContext;
    const at = `${path}.securityContext`;
    if (!isWindows && sc?.allowPrivilegeEscalation !== false) {
      report('allowPrivilegeEscalation', `${at}.allowPrivilegeEscalation`, 'must be false');
    }
    if (sc?.runAsNonRoot === false || (!podNonRoot && sc?.runAsNonRoot !== true)) {
      report('runAsNonRoot', `${at}.runAsNonRoot`, 'must be true (here or on the pod)');
    }
    if (sc?.runAsUser === 0) report('runAsUser', `${at}.runAsUser`, 'must not be 0');
    if (!isWindows && sc?.seccompProfile?.type === undefined && !podConfined) {
      report(
        'seccomp.restricted',
        `${at}.seccompProfile.type`,
        'must be RuntimeDefault or Localhost (here or on the pod)',
      );
    }
    if (!isWindows && !(sc?.capabilities?.drop ?? []).includes('ALL')) {
      report('capabilities.restricted', `${at}.capabilities.drop`, 'must include ALL');
    }
    for (const [j, cap] of (sc?.capabilities?.add ?? []).entries()) {
      if (!isWindows && cap !== 'NET_BIND_SERVICE') {
        report(
          'capabilities.restricted',
          `${at}.capabilities.add[${j}]`,
          'only NET_BIND_SERVICE may be added',
        );
      }
    }
  }
}

/** The violations of `pod` against `level` ("restricted" includes every baseline rule). */
export function checkPodSecurity(
  pod: Pod,
  level: PodSecurityLevel = PodSecurityLevel.Restricted,
): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const reportAt =
    (at: PodSecurityLevel): Report =>
    (rule, path, message) =>
      violations.push({ level: at, rule, path, message });
  checkBaseline(pod, reportAt(PodSecurityLevel.Baseline));
  if (level === PodSecurityLevel.Restricted)
    checkRestricted(pod, reportAt(PodSecurityLevel.Restricted));
  return violations;
}
