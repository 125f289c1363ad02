import { z } from 'zod';
import { Condition } from './conditions.ts';
import { API_VERSION, ObjectMeta, ResourceName, Timestamp } from './metadata.ts';
import { ProvisionFailure, SandboxPhase } from './sandbox-lifecycle.ts';
import { SandboxEnvironment, TemplateRef } from './template.ts';
import { VolumeMount } from './volume.ts';

/** `Paused` freezes the processes in place (memory kept); `Stopped` ends them (workspace kept). */
export const DesiredState = { Running: 'Running', Stopped: 'Stopped', Paused: 'Paused' } as const;
export type DesiredState = (typeof DesiredState)[keyof typeof DesiredState];

/** What a Sandbox may change of its template: only fields the template lists as `overridable`. */
export const SandboxOverrides = SandboxEnvironment.omit({
  description: true,
  image: true,
  rootfs: true,
  volumes: true,
});
export type SandboxOverrides = z.infer<typeof SandboxOverrides>;

export const SandboxSpec = z.strictObject({
  templateRef: TemplateRef,
  overrides: SandboxOverrides.optional(),
  desiredState: z
    .enum([DesiredState.Running, DesiredState.Stopped, DesiredState.Paused])
    .default(DesiredState.Running),
  /** Share with these users (by id); the owner is recorded by the server. */
  sharedWith: z.array(z.string().min(1)).optional(),
  /**
   * When a running sandbox ends, whatever its template's `timeout` says (the earlier of the two
   * wins); an update moves it (E2B's "set timeout"). Counted against the policy's `maxTimeout`
   * from the sandbox's creation.
   */
  shutdownTime: Timestamp.optional(),
  /**
   * Start from this SandboxSnapshot's workspace (same namespace; the caller must be able to read
   * it) instead of an empty one. Only at creation: a warm-pool entry is never used for it.
   */
  fromSnapshot: z.strictObject({ name: ResourceName }).optional(),
  /** Volumes of the sandbox's namespace to mount, merged by name over the template's. */
  volumes: z.array(VolumeMount).optional(),
  /** What happens at `shutdownTime`: `Stop` keeps the workspace (the default); `Delete` removes the sandbox. */
  shutdownPolicy: z.enum(['Stop', 'Delete']).optional(),
});
export type SandboxSpec = z.infer<typeof SandboxSpec>;

export const LimitsMechanism = {
  CgroupV2: 'cgroup-v2',
  CgroupV1: 'cgroup-v1',
  Rlimit: 'rlimit',
  Kubernetes: 'kubernetes',
} as const;
export type LimitsMechanism = (typeof LimitsMechanism)[keyof typeof LimitsMechanism];

export const ForwardedPort = z.strictObject({
  name: z.string(),
  port: z.int().min(1).max(65535),
  protocol: z.enum(['http', 'tcp']),
  /** The preview path on the server, for http ports. */
  previewPath: z.string().optional(),
});

const phases = Object.values(SandboxPhase) as [SandboxPhase, ...SandboxPhase[]];

export const SandboxStatus = z.strictObject({
  phase: z.enum(phases),
  observedGeneration: z.int().nonnegative().optional(),
  conditions: z.array(Condition).default([]),
  reason: z.string().optional(),
  message: z.string().optional(),
  /** The template after inheritance and overrides, frozen at admission. */
  resolved: SandboxEnvironment.optional(),
  /** Where each resolved field came from: field path → `Kind/name` or `Sandbox/name`. */
  origins: z.record(z.string(), z.string()).optional(),
  startupDurationMs: z.number().nonnegative().optional(),
  startedAt: Timestamp.optional(),
  stoppedAt: Timestamp.optional(),
  /** Exit code of the main process when it ended the sandbox. */
  exitCode: z.int().optional(),
  /** The provisioning step that failed, its exit code and last output. */
  provisionFailure: ProvisionFailure.optional(),
  expiresAt: Timestamp.optional(),
  lastActivityAt: Timestamp.optional(),
  /** When the last idle warning was given (one per idle spell: none since the last activity). */
  idleWarningAt: Timestamp.optional(),
  /** When it was last paused. */
  pausedAt: Timestamp.optional(),
  /** How the runtime holds a paused sandbox (`PauseMechanism`); kept after a resume. */
  pauseMechanism: z.string().optional(),
  /**
   * The last generation whose `desiredState: Paused` the runtime could not honour (it cannot
   * pause; the sandbox kept running): its `PauseUnsupported` warning was given, once.
   */
  pauseUnsupportedGeneration: z.int().nonnegative().optional(),
  ports: z.array(ForwardedPort).optional(),
  fromWarmPool: z.boolean().optional(),
  /** Which mechanism enforced cpu, memory and pids limits. */
  limits: z
    .enum([
      LimitsMechanism.CgroupV2,
      LimitsMechanism.CgroupV1,
      LimitsMechanism.Rlimit,
      LimitsMechanism.Kubernetes,
    ])
    .optional(),
  /**
   * The runtime that holds it (`local`, `kubernetes`), its opaque handle, and whether that runtime
   * runs without root (the local one: sandbox users map to Paddock's own uid; see docs/rootless.md).
   */
  runtime: z
    .strictObject({ name: z.string(), id: z.string(), rootless: z.boolean().optional() })
    .optional(),
});
export type SandboxStatus = z.infer<typeof SandboxStatus>;

export const Sandbox = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Sandbox'),
  metadata: ObjectMeta,
  spec: SandboxSpec,
  status: SandboxStatus.optional(),
});
export type Sandbox = z.infer<typeof Sandbox>;
