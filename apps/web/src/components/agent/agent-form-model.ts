/**
 * The agent form's values, to and from an Agent, and the server's field errors mapped onto the
 * form's fields. Pure: no React.
 */
import type { Agent, AgentSpec, HarnessKind, Provider } from '@paddock/core';

export type AgentFormValues = {
  name: string;
  harnessKind: HarnessKind;
  /** argv of the `command` harness (extra arguments for the others), space-separated. */
  harnessCommand: string;
  model: string;
  provider: '' | Provider;
  systemPrompt: string;
  /** Comma-separated tool names; empty = every built-in tool. */
  tools: string;
  maxUsd: string;
  maxTurns: string;
  maxTokens: string;
  timeout: string;
  /** `SandboxTemplate/NAME`, `ClusterSandboxTemplate/NAME`, or '' for the default. */
  template: string;
};

export type AgentField = keyof AgentFormValues;
export type FieldErrors = Partial<Record<AgentField | 'form', string[]>>;

export const emptyAgentForm: AgentFormValues = {
  name: '',
  harnessKind: 'builtin',
  harnessCommand: '',
  model: '',
  provider: '',
  systemPrompt: '',
  tools: '',
  maxUsd: '',
  maxTurns: '',
  maxTokens: '',
  timeout: '',
  template: '',
};

export function formFromAgent(agent: Agent): AgentFormValues {
  const { spec } = agent;
  const ref = spec.templateRef;
  return {
    name: agent.metadata.name ?? '',
    harnessKind: spec.harness.kind,
    harnessCommand: spec.harness.command?.join(' ') ?? '',
    model: spec.model ?? '',
    provider: spec.provider ?? '',
    systemPrompt: spec.systemPrompt ?? '',
    tools: spec.tools?.join(', ') ?? '',
    maxUsd: spec.budget?.maxUsd?.toString() ?? '',
    maxTurns: spec.budget?.maxTurns?.toString() ?? '',
    maxTokens: spec.budget?.maxTokens?.toString() ?? '',
    timeout: spec.budget?.timeout ?? '',
    template: ref ? `${ref.kind ?? 'SandboxTemplate'}/${ref.name}` : '',
  };
}

/**
 * The spec the form describes, keeping what the form does not edit (MCP servers, repos,
 * credentials, quota) from `base`. Numbers that do not parse come back as field errors.
 */
export function specFromForm(
  values: AgentFormValues,
  base?: AgentSpec,
): { spec: AgentSpec; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const number = (field: AgentField, text: string, isInteger: boolean) => {
    if (text.trim() === '') return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || (isInteger && !Number.isInteger(value))) {
      errors[field] = [isInteger ? 'must be a whole number' : 'must be a number'];
      return undefined;
    }
    return value;
  };
  const maxUsd = number('maxUsd', values.maxUsd, false);
  const maxTurns = number('maxTurns', values.maxTurns, true);
  const maxTokens = number('maxTokens', values.maxTokens, true);
  const timeout = values.timeout.trim();
  const budget = {
    ...(maxUsd !== undefined && { maxUsd }),
    ...(maxTurns !== undefined && { maxTurns }),
    ...(maxTokens !== undefined && { maxTokens }),
    ...(timeout && { timeout }),
  };
  const command = values.harnessCommand.trim().split(/\s+/).filter(Boolean);
  const tools = values.tools
    .split(',')
    .map((tool) => tool.trim())
    .filter(Boolean);
  const [templateKind, templateName] = splitTemplate(values.template);
  const {
    model: _m,
    provider: _p,
    systemPrompt: _s,
    tools: _t,
    budget: _b,
    templateRef: _r,
    ...kept
  } = base ?? {};
  const spec: AgentSpec = {
    ...kept,
    harness: { kind: values.harnessKind, ...(command.length > 0 && { command }) },
    ...(values.model.trim() && { model: values.model.trim() }),
    ...(values.provider && { provider: values.provider }),
    ...(values.systemPrompt.trim() && { systemPrompt: values.systemPrompt }),
    ...(tools.length > 0 && { tools }),
    ...(Object.keys(budget).length > 0 && { budget }),
    ...(templateName && { templateRef: { kind: templateKind, name: templateName } }),
  };
  return { spec, errors };
}

function splitTemplate(
  value: string,
): ['SandboxTemplate' | 'ClusterSandboxTemplate', string | undefined] {
  const slash = value.indexOf('/');
  if (slash === -1) return ['SandboxTemplate', value.trim() || undefined];
  const kind =
    value.slice(0, slash) === 'ClusterSandboxTemplate'
      ? 'ClusterSandboxTemplate'
      : 'SandboxTemplate';
  return [kind, value.slice(slash + 1) || undefined];
}

/** Which form field a server issue path (`spec.budget.maxUsd`, `metadata.name`) belongs to. */
export function fieldOfIssuePath(path: string): AgentField | 'form' {
  const trimmed = /(?:^|\.)(?:spec|metadata)\.(.*)$/.exec(path)?.[1] ?? path;
  const rules: ReadonlyArray<[RegExp, AgentField]> = [
    [/^name\b/, 'name'],
    [/^generateName\b/, 'name'],
    [/^harness\.command\b/, 'harnessCommand'],
    [/^harness\b/, 'harnessKind'],
    [/^model\b/, 'model'],
    [/^provider\b/, 'provider'],
    [/^systemPrompt\b/, 'systemPrompt'],
    [/^tools\b/, 'tools'],
    [/^budget\.maxUsd\b/, 'maxUsd'],
    [/^budget\.maxTurns\b/, 'maxTurns'],
    [/^budget\.maxTokens\b/, 'maxTokens'],
    [/^budget\.timeout\b/, 'timeout'],
    [/^templateRef\b/, 'template'],
  ];
  for (const [pattern, field] of rules) if (pattern.test(trimmed)) return field;
  return 'form';
}

/** A `validation_failed` error's `details.issues`, grouped by form field. */
export function fieldErrorsFromIssues(issues: unknown): FieldErrors {
  const errors: FieldErrors = {};
  if (!Array.isArray(issues)) return errors;
  for (const issue of issues) {
    if (typeof issue !== 'object' || issue === null) continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    if (typeof message !== 'string') continue;
    const field = fieldOfIssuePath(typeof path === 'string' ? path : '');
    const text = field === 'form' && typeof path === 'string' ? `${path}: ${message}` : message;
    errors[field] = [...(errors[field] ?? []), text];
  }
  return errors;
}
