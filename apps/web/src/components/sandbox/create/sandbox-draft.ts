import type { KindInput } from '@paddock/client';
import {
  API_VERSION,
  DurationString,
  EnvVar,
  type OverridableField,
  QuantityString,
  ResourceName,
  TemplateKind,
} from '@paddock/core';

/** The create form's state, as typed (strings; validated by {@link draftProblems}). */
export type SandboxDraft = {
  name: string;
  /** `Kind/name` of the template, e.g. `ClusterSandboxTemplate/shell`. */
  template: string;
  desiredState: 'Running' | 'Stopped';
  cpu: string;
  memory: string;
  timeout: string;
  idleTimeout: string;
  env: Array<{ name: string; value: string }>;
};

export const emptyDraft: SandboxDraft = {
  name: '',
  template: '',
  desiredState: 'Running',
  cpu: '',
  memory: '',
  timeout: '',
  idleTimeout: '',
  env: [],
};

export type TemplateChoice = { kind: TemplateKind; name: string };

/** `ClusterSandboxTemplate/shell` → its kind and name. */
export function parseTemplateChoice(value: string): TemplateChoice | undefined {
  const [kind, name] = value.split('/');
  if (!name) return undefined;
  if (kind === TemplateKind.ClusterSandboxTemplate || kind === TemplateKind.SandboxTemplate) {
    return { kind, name };
  }
  return undefined;
}

/** Field → the first problem with it, for the fields of the form. */
export type DraftProblems = Partial<
  Record<'name' | 'template' | 'cpu' | 'memory' | 'timeout' | 'idleTimeout' | 'env', string>
>;

const firstIssue = (result: {
  success: boolean;
  error?: { issues: Array<{ message: string }> };
}) => (result.success ? undefined : (result.error?.issues[0]?.message ?? 'is invalid'));

/** Every problem of the draft, checked with the same schemas the server uses. */
export function draftProblems(
  draft: SandboxDraft,
  overridable: readonly OverridableField[],
): DraftProblems {
  const problems: DraftProblems = {};
  const name = firstIssue(ResourceName.safeParse(draft.name));
  if (name) problems.name = `Name ${name}`;
  if (!parseTemplateChoice(draft.template)) problems.template = 'Pick a template';
  const allows = (field: OverridableField) => overridable.includes(field);
  if (allows('resources')) {
    const cpu = draft.cpu && firstIssue(QuantityString.safeParse(draft.cpu));
    if (cpu) problems.cpu = `CPU ${cpu}`;
    const memory = draft.memory && firstIssue(QuantityString.safeParse(draft.memory));
    if (memory) problems.memory = `Memory ${memory}`;
  }
  if (allows('timeout')) {
    const timeout = draft.timeout && firstIssue(DurationString.safeParse(draft.timeout));
    if (timeout) problems.timeout = `Timeout ${timeout}`;
  }
  if (allows('idleTimeout')) {
    const idle = draft.idleTimeout && firstIssue(DurationString.safeParse(draft.idleTimeout));
    if (idle) problems.idleTimeout = `Idle timeout ${idle}`;
  }
  if (allows('env')) {
    for (const variable of draft.env) {
      const issue = firstIssue(EnvVar.safeParse(variable));
      if (issue) {
        problems.env = `Variable "${variable.name}" ${issue}`;
        break;
      }
    }
  }
  return problems;
}

/** The Sandbox manifest the draft describes; only overrides the template allows are sent. */
export function toManifest(
  draft: SandboxDraft,
  namespace: string,
  overridable: readonly OverridableField[],
): KindInput<'Sandbox'> {
  const choice = parseTemplateChoice(draft.template);
  const allows = (field: OverridableField) => overridable.includes(field);
  const resources = {
    ...(allows('resources') && draft.cpu ? { cpu: draft.cpu } : {}),
    ...(allows('resources') && draft.memory ? { memory: draft.memory } : {}),
  };
  const overrides = {
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(allows('timeout') && draft.timeout ? { timeout: draft.timeout } : {}),
    ...(allows('idleTimeout') && draft.idleTimeout ? { idleTimeout: draft.idleTimeout } : {}),
    ...(allows('env') && draft.env.length > 0 ? { env: draft.env } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name: draft.name, namespace },
    spec: {
      templateRef: choice ?? { name: draft.template },
      desiredState: draft.desiredState,
      ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
    },
  };
}
