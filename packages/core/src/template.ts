import { z } from 'zod';
import { DurationString } from './duration.ts';
import { API_VERSION, ObjectMeta, ResourceName } from './metadata.ts';
import { hostPathProblem, mountPathProblem } from './mount-paths.ts';
import { QuantityString, STORAGE_SIZE_BOUNDS, StorageSize } from './quantity.ts';
import { VolumeMount } from './volume.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ABSOLUTE_PATH = /^\/[^\0]*$/;

export const TemplateKind = {
  ClusterSandboxTemplate: 'ClusterSandboxTemplate',
  SandboxTemplate: 'SandboxTemplate',
} as const;
export type TemplateKind = (typeof TemplateKind)[keyof typeof TemplateKind];

/**
 * A reference to a template. `kind` defaults to `SandboxTemplate` (same namespace as the
 * referrer); a `ClusterSandboxTemplate` is cluster-scoped.
 */
export const TemplateRef = z.strictObject({
  kind: z.enum([TemplateKind.SandboxTemplate, TemplateKind.ClusterSandboxTemplate]).optional(),
  name: ResourceName,
});
export type TemplateRef = z.infer<typeof TemplateRef>;

export const Isolation = { Process: 'process', Gvisor: 'gvisor', Kata: 'kata' } as const;
export type Isolation = (typeof Isolation)[keyof typeof Isolation];

export const Egress = { None: 'none', Allowlist: 'allowlist', Open: 'open' } as const;
export type Egress = (typeof Egress)[keyof typeof Egress];

const AbsolutePath = z.string().regex(ABSOLUTE_PATH, 'must be an absolute path');

/** Text handed to a program as an argv word or an environment value, which cannot hold NUL. */
export const ProgramText = z.string().regex(/^[^\0]*$/, 'must not contain NUL');

const hasControlCharacter = (text: string) =>
  [...text].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f');

/** What `git clone` is given: no control characters (a newline in a URL reaches git's helpers). */
const GitText = z
  .string()
  .min(1)
  .refine((text) => !hasControlCharacter(text), 'must not contain control characters');

/** A domain pattern: `example.com`, or `*.example.com` for every subdomain. */
export const DomainPattern = z
  .string()
  .regex(
    /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a lowercase domain name, optionally starting with "*."',
  );

export const EnvVar = z.strictObject({
  name: z.string().regex(ENV_NAME, 'must be a valid environment variable name'),
  value: ProgramText,
});
export type EnvVar = z.infer<typeof EnvVar>;

/** The sizes a size-limited workspace may have (`workspace.size`, `resources.storage`). */
export const WORKSPACE_SIZE_BOUNDS = STORAGE_SIZE_BOUNDS;

export const Resources = z.strictObject({
  /** CPU as a Kubernetes quantity: `500m`, `2`. */
  cpu: QuantityString.optional(),
  /** Memory limit: `512Mi`, `2Gi`. */
  memory: QuantityString.optional(),
  /** Workspace storage limit. */
  storage: StorageSize.optional(),
  /** Maximum number of processes. */
  pids: z.int().positive().optional(),
});
export type Resources = z.infer<typeof Resources>;

export const Network = z.strictObject({
  egress: z.enum([Egress.None, Egress.Allowlist, Egress.Open]).optional(),
  /** Domains reachable when egress is `allowlist`. */
  allowedDomains: z.array(DomainPattern).optional(),
  /** In-cluster services (`namespace/name`) reachable on Kubernetes. */
  allowedServices: z.array(z.string().min(1)).optional(),
});
export type Network = z.infer<typeof Network>;

export const Workspace = z.strictObject({
  /** Size of the workspace volume (a quantity). */
  size: StorageSize.optional(),
});

/**
 * A directory mounted into the sandbox at `mountPath` (never over the system, `/workspace`,
 * `/home/user` or `/tmp`; see `mountPathProblem`). Exactly one source: a named credential's
 * files, or a host directory (admin templates only, under a root the policy's `allowedHostPaths`
 * lists). `readOnly` makes the mount read-only; host mounts are writable otherwise.
 */
export const Mount = z
  .strictObject({
    name: ResourceName,
    mountPath: AbsolutePath,
    credential: ResourceName.optional(),
    hostPath: AbsolutePath.optional(),
    readOnly: z.boolean().optional(),
  })
  .superRefine((mount, ctx) => {
    // A path that is not absolute is already reported by its field's own check.
    const pathProblem = mount.mountPath.startsWith('/')
      ? mountPathProblem(mount.mountPath)
      : undefined;
    if (pathProblem !== undefined)
      ctx.addIssue({ code: 'custom', path: ['mountPath'], message: pathProblem });
    const hostProblem = mount.hostPath?.startsWith('/')
      ? hostPathProblem(mount.hostPath)
      : undefined;
    if (hostProblem !== undefined)
      ctx.addIssue({ code: 'custom', path: ['hostPath'], message: hostProblem });
    if ((mount.credential === undefined) === (mount.hostPath === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: mount.hostPath === undefined ? ['hostPath'] : ['credential'],
        message: 'a mount needs exactly one source: credential or hostPath',
      });
    }
  });
export type Mount = z.infer<typeof Mount>;

export const Repo = z.strictObject({
  url: GitText,
  /** Branch, tag or commit; the default branch when absent. */
  ref: GitText.optional(),
  /** Where to clone, relative to /workspace; derived from the URL when absent. */
  path: ProgramText.min(1).optional(),
  credential: ResourceName.optional(),
});
export type Repo = z.infer<typeof Repo>;

export const TemplateFile = z.strictObject({
  path: AbsolutePath,
  content: z.string(),
  /** Octal mode as a string, e.g. `0644`. */
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, 'must be an octal mode such as 0644')
    .optional(),
});
export type TemplateFile = z.infer<typeof TemplateFile>;

export const InitScript = z.strictObject({
  name: ResourceName,
  /** argv, run in /workspace after files are written and repos cloned. */
  command: z.array(ProgramText).min(1),
  timeout: DurationString.optional(),
});
export type InitScript = z.infer<typeof InitScript>;

export const CredentialUse = z.strictObject({
  /** Name of a stored credential. */
  name: ResourceName,
  /** How it reaches the sandbox: through the LLM gateway (preferred), as env at exec, or as files. */
  as: z.enum(['gateway', 'env', 'file']),
  env: z.string().regex(ENV_NAME).optional(),
  mountPath: AbsolutePath.optional(),
});
export type CredentialUse = z.infer<typeof CredentialUse>;

export const Port = z.strictObject({
  name: ResourceName,
  port: z.int().min(1).max(65535),
  protocol: z.enum(['http', 'tcp']).optional(),
});
export type Port = z.infer<typeof Port>;

/**
 * The MCP toolsets a template can give its sandboxes' runs: `paddock-readonly` is Paddock's own
 * read-only tools, reached through the egress path with the run's token and confined to the
 * run's namespace (the run's environment carries `PADDOCK_MCP_URL`).
 */
export const McpToolset = { PaddockReadonly: 'paddock-readonly' } as const;
export type McpToolset = (typeof McpToolset)[keyof typeof McpToolset];

export const WarmPool = z.strictObject({ size: z.int().min(0).max(100) });

/** The fields of a template spec that a Sandbox may be allowed to override. */
export const OverridableField = z.enum([
  'command',
  'workingDir',
  'env',
  'resources',
  'timeout',
  'idleTimeout',
  'idleAction',
  'network',
  'repos',
  'files',
  'init',
  'ports',
  'credentials',
  'mounts',
  'isolation',
  'workspace',
]);
export type OverridableField = z.infer<typeof OverridableField>;

/** The environment a template describes. Every field is optional so that children inherit it. */
export const SandboxEnvironment = z.strictObject({
  description: z.string().optional(),
  /** OCI image reference (Kubernetes) — locally mapped to a rootfs when one is registered. */
  image: z.string().min(1).optional(),
  /** A directory used as the root filesystem (local runtime); the host system view otherwise. */
  rootfs: AbsolutePath.optional(),
  /** The main process; the sandbox idles when absent. */
  command: z.array(ProgramText).min(1).optional(),
  workingDir: AbsolutePath.optional(),
  env: z.array(EnvVar).optional(),
  resources: Resources.optional(),
  /** Wall-clock lifetime; `0` means no limit. */
  timeout: DurationString.optional(),
  /** Pause (or stop) after this long without exec, terminal or preview activity; `0` means never. */
  idleTimeout: DurationString.optional(),
  /**
   * What an idle timeout does: `Pause` freezes the processes (memory kept; the default where the
   * runtime can pause), `Stop` ends them (the workspace kept). Either wakes on the next exec,
   * terminal or preview request.
   */
  idleAction: z.enum(['Pause', 'Stop']).optional(),
  isolation: z.enum([Isolation.Process, Isolation.Gvisor, Isolation.Kata]).optional(),
  network: Network.optional(),
  workspace: Workspace.optional(),
  mounts: z.array(Mount).optional(),
  repos: z.array(Repo).optional(),
  files: z.array(TemplateFile).optional(),
  init: z.array(InitScript).optional(),
  credentials: z.array(CredentialUse).optional(),
  ports: z.array(Port).optional(),
  /** Volumes (of the sandbox's namespace) every sandbox of the template mounts. */
  volumes: z.array(VolumeMount).optional(),
  /** An MCP toolset runs in these sandboxes get (opt-in; none by default). */
  mcp: z.enum([McpToolset.PaddockReadonly]).optional(),
});
export type SandboxEnvironment = z.infer<typeof SandboxEnvironment>;

export const TemplateSpec = SandboxEnvironment.extend({
  inheritsFrom: TemplateRef.optional(),
  /** Fields a Sandbox may override (deny by default: none). */
  overridable: z.array(OverridableField).optional(),
  warmPool: WarmPool.optional(),
});
export type TemplateSpec = z.infer<typeof TemplateSpec>;

export const TemplateStatus = z.strictObject({
  observedGeneration: z.int().nonnegative().optional(),
  /** Names of the templates this one inherits from, nearest first. */
  chain: z.array(z.string()).optional(),
  warmPool: z
    .strictObject({ ready: z.int().nonnegative(), desired: z.int().nonnegative() })
    .optional(),
});

function templateResource<K extends TemplateKind>(kind: K) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMeta,
    spec: TemplateSpec,
    status: TemplateStatus.optional(),
  });
}

export const SandboxTemplate = templateResource(TemplateKind.SandboxTemplate);
export type SandboxTemplate = z.infer<typeof SandboxTemplate>;
export const ClusterSandboxTemplate = templateResource(TemplateKind.ClusterSandboxTemplate);
export type ClusterSandboxTemplate = z.infer<typeof ClusterSandboxTemplate>;
export type AnyTemplate = SandboxTemplate | ClusterSandboxTemplate;

/**
 * How a child's value combines with its parent's, per field. A Sandbox's overrides combine with
 * the resolved template by the same rules.
 * - `override`: the child's value replaces the parent's when present.
 * - `append`: parent's items then the child's, exact duplicates dropped.
 * - `merge-by-key`: items keyed by `key`; a child item replaces the parent's item of the same key
 *   in place, new keys are appended in the child's order.
 * - `merge-fields`: an object merged field by field with the nested rules.
 */
export type MergeRule =
  | { readonly rule: 'override' }
  | { readonly rule: 'append' }
  | { readonly rule: 'merge-by-key'; readonly key: 'name' | 'path' }
  | { readonly rule: 'merge-fields'; readonly fields: Readonly<Record<string, MergeRule>> };

const override = { rule: 'override' } as const;
const append = { rule: 'append' } as const;
const byName = { rule: 'merge-by-key', key: 'name' } as const;

/** The declared merge rule of every inheritable field (`inheritsFrom` and `warmPool` are not inherited). */
export const MERGE_RULES = {
  description: override,
  image: override,
  rootfs: override,
  command: override,
  workingDir: override,
  env: byName,
  resources: {
    rule: 'merge-fields',
    fields: { cpu: override, memory: override, storage: override, pids: override },
  },
  timeout: override,
  idleTimeout: override,
  idleAction: override,
  isolation: override,
  network: {
    rule: 'merge-fields',
    fields: { egress: override, allowedDomains: append, allowedServices: append },
  },
  workspace: { rule: 'merge-fields', fields: { size: override } },
  mounts: byName,
  repos: append,
  files: { rule: 'merge-by-key', key: 'path' },
  init: byName,
  credentials: byName,
  ports: byName,
  mcp: override,
  volumes: byName,
  overridable: override,
} as const satisfies Record<keyof Omit<TemplateSpec, 'inheritsFrom' | 'warmPool'>, MergeRule>;
