/**
 * Status conditions, as Kubernetes `metav1.Condition`: the observed facts a controller reports next
 * to a resource's `phase`. Each type appears at most once in a list; `reason` is a CamelCase code
 * from the owning kind's documented closed set, `message` is for people.
 */
import { z } from 'zod';

/** Whether a condition holds: `Unknown` means the controller cannot tell (yet). */
export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatus = (typeof ConditionStatus)[keyof typeof ConditionStatus];

// The patterns and limits of metav1.Condition, so a status written locally is valid on Kubernetes.
const conditionTypePattern =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const conditionReasonPattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** One condition. `lastTransitionTime` (ISO 8601) is when `status` last changed. */
export const Condition = z.object({
  type: z.string().max(316).regex(conditionTypePattern),
  status: z.enum(ConditionStatus),
  reason: z.string().max(1024).regex(conditionReasonPattern),
  message: z.string().max(32768),
  lastTransitionTime: z.iso.datetime({ offset: true }),
  /** The `metadata.generation` the condition was computed from. */
  observedGeneration: z.number().int().nonnegative().optional(),
});
export type Condition = z.infer<typeof Condition>;

/** A condition to set: its transition time is decided by {@link setCondition}. */
export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/**
 * Returns a new list with `next` in place of the condition of the same type (appended when absent;
 * order otherwise kept). As `meta.SetStatusCondition`: `lastTransitionTime` becomes `now` when the
 * condition is new or its status changed, and is kept when only reason, message or
 * observedGeneration changed. Pure: `conditions` is not modified. Throws `RangeError` when `now` is
 * an invalid date.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: ConditionUpdate,
  now: Date,
): Condition[] {
  const index = conditions.findIndex((condition) => condition.type === next.type);
  const existing = conditions[index];
  const lastTransitionTime =
    existing !== undefined && existing.status === next.status
      ? existing.lastTransitionTime
      : now.toISOString();
  const updated: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime,
  };
  if (next.observedGeneration !== undefined) updated.observedGeneration = next.observedGeneration;
  if (existing === undefined) return [...conditions, updated];
  return conditions.map((condition, i) => (i === index ? updated : condition));
}

/** The condition of the given type, or `undefined` when the list has none. */
export function findCondition(
  conditions: readonly Condition[],
  type: string,
): Condition | undefined {
  return conditions.find((condition) => condition.type === type);
}

/** Whether the condition of the given type is present with status `True`. */
export function isConditionTrue(conditions: readonly Condition[], type: string): boolean {
  return findCondition(conditions, type)?.status === ConditionStatus.True;
}
