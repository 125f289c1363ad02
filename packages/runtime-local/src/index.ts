// Public surface of @paddock/runtime-local: the bubblewrap SandboxRuntime of one machine.
export { type BwrapPlan, buildBwrapArgs, generatedEtc, type ViewEntry } from './bwrap-launcher.ts';
export type { EgressEvent, HostService } from './egress/index.ts';
export type { EgressOptions } from './egress-manager.ts';
export {
  createLocalRuntime,
  type LimitsPreference,
  LocalRuntime,
  type LocalRuntimeOptions,
} from './local-runtime.ts';
export {
  DEFAULT_LIMITS,
  type DefaultLimits,
  resolveLimits,
  type SandboxLimits,
} from './resource-limits.ts';
