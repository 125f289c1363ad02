import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from './kube-types.ts';
import { checkPodSecurity, type PodSecurityRule } from './pod-security.ts';

/** A pod that meets "restricted" exactly, set at container level only where it must be. */
function compliant(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'c',
          image: 'i',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
    },
  };
}

type Mutation = (pod: Pod & { spec: NonNullable<Pod['spec']> }) => void;
const container = (pod: Pod) => {
  const c = pod.spec?.containers[0];
  assert.ok(c);
  c.securityContext ??= {};
  return c;
};

// [what, mutation, the rule and the path the checker must report]
const CASES: Array<[string, Mutation, PodSecurityRule, string]> = [
  [
    'hostProcess',
    (p) => {
      p.spec.securityContext = { ...p.spec.securityContext, windowsOptions: { hostProcess: true } };
    },
    'hostProcess',
    'spec.securityContext.windowsOptions.hostProcess',
  ],
  [
    'hostNetwork',
    (p) => {
      p.spec.hostNetwork = true;
    },
    'hostNamespaces',
    'spec.hostNetwork',
  ],
  [
    'hostPID',
    (p) => {
      p.spec.hostPID = true;
    },
    'hostNamespaces',
    'spec.hostPID',
  ],
  [
    'hostIPC',
    (p) => {
      p.spec.hostIPC = true;
    },
    'hostNamespaces',
    'spec.hostIPC',
  ],
  [
    'privileged',
    (p) => {
      container(p).securityContext = { ...container(p).securityContext, privileged: true };
    },
    'privileged',
    'spec.containers[0].securityContext.privileged',
  ],
  [
    'a capability outside baseline',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] },
      };
    },
    'capabilities.baseline',
    'spec.containers[0].securityContext.capabilities.add[0]',
  ],
  [
    'a baseline capability other than NET_BIND_SERVICE',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        capabilities: { drop: ['ALL'], add: ['CHOWN'] },
      };
    },
    'capabilities.restricted',
    'spec.containers[0].securityContext.capabilities.add[0]',
  ],
  [
    'capabilities not dropped',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        capabilities: { drop: ['NET_RAW'] },
      };
    },
    'capabilities.restricted',
    'spec.containers[0].securityContext.capabilities.drop',
  ],
  [
    'a hostPath volume',
    (p) => {
      p.spec.volumes = [{ name: 'h', hostPath: { path: '/' } }];
    },
    'hostPathVolumes',
    'spec.volumes[0].hostPath',
  ],
  [
    'a host port',
    (p) => {
      container(p).ports = [{ containerPort: 80, hostPort: 8080 }];
    },
    'hostPorts',
    'spec.containers[0].ports[0].hostPort',
  ],
  [
    'AppArmor unconfined',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        appArmorProfile: { type: 'Unconfined' },
      };
    },
    'appArmor',
    'spec.containers[0].securityContext.appArmorProfile.type',
  ],
  [
    'an AppArmor annotation unconfined',
    (p) => {
      p.metadata = {
        name: 'p',
        annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' },
      };
    },
    'appArmor',
    'metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]',
  ],
  [
    'an SELinux type',
    (p) => {
      p.spec.securityContext = { ...p.spec.securityContext, seLinuxOptions: { type: 'spc_t' } };
    },
    'seLinux',
    'spec.securityContext.seLinuxOptions.type',
  ],
  [
    'an SELinux user',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        seLinuxOptions: { user: 'system_u' },
      };
    },
    'seLinux',
    'spec.containers[0].securityContext.seLinuxOptions.user',
  ],
  [
    'an SELinux role',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        seLinuxOptions: { role: 'sysadm_r' },
      };
    },
    'seLinux',
    'spec.containers[0].securityContext.seLinuxOptions.role',
  ],
  [
    'an unmasked /proc',
    (p) => {
      container(p).securityContext = { ...container(p).securityContext, procMount: 'Unmasked' };
    },
    'procMount',
    'spec.containers[0].securityContext.procMount',
  ],
  [
    'seccomp unconfined',
    (p) => {
      container(p).securityContext = {
        ...container(p).securityContext,
        seccompProfile: { type: 'Unconfined' },
      };
    },
    'seccomp.baseline',
    'spec.containers[0].securityContext.seccompProfile.type',
  ],
  [
    'no seccomp profile',
    (p) => {
      p.spec.securityContext = { runAsNonRoot: true };
    },
    'seccomp.restricted',
    'spec.containers[0].securityContext.seccompProfile.type',
  ],
  [
    'an unsafe sysctl',
    (p) => {
      p.spec.securityContext = {
        ...p.spec.securityContext,
        sysctls: [{ name: 'kernel.msgmax', value: '1' }],
      };
    },
    'sysctls',
    'spec.securityContext.sysctls[0].name',
  ],
  [
    'a volume type outside restricted',
    (p) => {
      p.spec.volumes = [{ name: 'n', nfs: { server: 's', path: '/x' } }];
    },
    'volumeTypes',
    'spec.volumes[0].nfs',
  ],
  [
    'privilege escalation left unset',
    (p) => {
      container(p).securityContext = { capabilities: { drop: ['ALL'] } };
    },
    'allowPrivilegeEscalation',
    'spec.containers[0].securityContext.allowPrivilegeEscalation',
  ],
  [
    'runAsNonRoot unset everywhere',
    (p) => {
      p.spec.securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    },
    'runAsNonRoot',
    'spec.containers[0].securityContext.runAsNonRoot',
  ],
  [
    'runAsNonRoot false on a container',
    (p) => {
      container(p).securityContext = { ...container(p).securityContext, runAsNonRoot: false };
    },
    'runAsNonRoot',
    'spec.containers[0].securityContext.runAsNonRoot',
  ],
  [
    'runAsUser 0 on the pod',
    (p) => {
      p.spec.securityContext = { ...p.spec.securityContext, runAsUser: 0 };
    },
    'runAsUser',
    'spec.securityContext.runAsUser',
  ],
  [
    'runAsUser 0 on a container',
    (p) => {
      container(p).securityContext = { ...container(p).securityContext, runAsUser: 0 };
    },
    'runAsUser',
    'spec.containers[0].securityContext.runAsUser',
  ],
  [
    'a privileged init container',
    (p) => {
      p.spec.initContainers = [
        {
          name: 'i',
          image: 'i',
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            privileged: true,
          },
        },
      ];
    },
    'privileged',
    'spec.initContainers[0].securityContext.privileged',
  ],
];

describe('checkPodSecurity', () => {
  it('finds nothing wrong with a pod that meets "restricted"', () => {
    assert.deepEqual(checkPodSecurity(compliant()), []);
  });

  for (const [what, mutate, rule, path] of CASES) {
    it(`reports ${what} as ${rule} at ${path}`, () => {
      const pod = compliant() as Pod & { spec: NonNullable<Pod['spec']> };
      mutate(pod);
      const found = checkPodSecurity(pod).map((v) => `${v.rule} ${v.path}`);
      assert.ok(found.includes(`${rule} ${path}`), `found: ${found.join('; ') || 'nothing'}`);
    });
  }

  it('checks baseline rules only at the baseline level', () => {
    const pod = compliant() as Pod & { spec: NonNullable<Pod['spec']> };
    pod.spec.securityContext = {};
    container(pod).securityContext = { privileged: true };
    const baseline = checkPodSecurity(pod, 'baseline');
    assert.deepEqual(
      baseline.map((v) => [v.level, v.rule]),
      [['baseline', 'privileged']],
    );
    const restricted = checkPodSecurity(pod, 'restricted').map((v) => v.rule);
    for (const rule of [
      'privileged',
      'allowPrivilegeEscalation',
      'runAsNonRoot',
      'seccomp.restricted',
      'capabilities.restricted',
    ]) {
      assert.ok(restricted.includes(rule as PodSecurityRule), `missing ${rule}`);
    }
  });

  it('accepts the exceptions the standard makes: NET_BIND_SERVICE, Localhost profiles, safe sysctls, container-level settings', () => {
    const pod = compliant() as Pod & { spec: NonNullable<Pod['spec']> };
    pod.spec.securityContext = { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1' }] };
    container(pod).securityContext = {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
      appArmorProfile: { type: 'RuntimeDefault' },
      seLinuxOptions: { type: 'container_t', level: 's0:c1,c2' },
    };
    assert.deepEqual(checkPodSecurity(pod), []);
  });
});
