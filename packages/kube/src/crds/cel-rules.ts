import { AgentSpec, Condition, Mount, RunSpec } from '@paddock/core';

/** One `x-kubernetes-validations` rule: CEL over `self`, its message, the field it blames. */
export type CelRule = {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden';
};

/**
 * The zod refinements that compare fields, restated in CEL so the API server refuses what zod
 * would (JSON Schema cannot say them). Keyed by the core schema that carries the refinement: the
 * rule lands on every place that schema appears. Each is a few `has()` tests, constant in cost.
 */
const RULES = new Map<unknown, readonly CelRule[]>([
  [
    Mount,
    [
      {
        rule: 'has(self.credential) != has(self.hostPath)',
        message: 'a mount needs exactly one source: credential or hostPath',
      },
    ],
  ],
  [
    AgentSpec,
    [
      {
        rule: "self.harness.kind != 'command' || has(self.harness.command)",
        message: 'harness.command is required when harness.kind is "command"',
        fieldPath: '.harness.command',
        reason: 'FieldValueRequired',
      },
    ],
  ],
  [
    RunSpec,
    [
      {
        rule: 'has(self.agentRef) != has(self.agent)',
        message: 'exactly one of agentRef and agent is required',
        fieldPath: '.agentRef',
      },
      {
        rule: '!has(self.sandbox) || !(has(self.sandbox.name) && has(self.sandbox.templateRef))',
        message: 'give either name (an existing sandbox) or templateRef (a new one), not both',
        fieldPath: '.sandbox',
      },
    ],
  ],
]);

/** Whether `schema` is `z.array(Condition)`: a list keyed by `type`, as `metav1.Condition` lists. */
function isConditionList(schema: unknown): boolean {
  const def = (schema as { _zod?: { def?: { type?: string; element?: unknown } } })._zod?.def;
  return def?.type === 'array' && def.element === Condition;
}

/**
 * Adds the Kubernetes-only keywords of a zod schema's node (the `annotate` of `kindJsonSchema`):
 * CEL rules for cross-field refinements, and list-map semantics for condition lists (one
 * condition per type, merged by type under server-side apply).
 */
export function annotateForKubernetes(zodSchema: unknown, node: Record<string, unknown>): void {
  const rules = RULES.get(zodSchema);
  if (rules !== undefined) node['x-kubernetes-validations'] = rules.map((rule) => ({ ...rule }));
  if (isConditionList(zodSchema)) {
    node['x-kubernetes-list-type'] = 'map';
    node['x-kubernetes-list-map-keys'] = ['type'];
  }
}
