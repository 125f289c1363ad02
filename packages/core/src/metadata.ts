import { z } from 'zod';

export const API_VERSION = 'paddock.dev/v1alpha1';
export const API_GROUP = 'paddock.dev';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A resource name: a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters). */
export const ResourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, "must be lowercase letters, digits and '-', starting and ending alphanumeric");

export const NamespaceName = ResourceName;

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? '' : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1 && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return false;
  }
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** Label key as Kubernetes validates it: optional DNS subdomain prefix, '/', a name of ≤ 63 chars. */
export const LabelKey = z.string().refine(isLabelKey, {
  message:
    'must be an optional DNS subdomain prefix and "/", then at most 63 alphanumerics, "-", "_" or "."',
});
export const LabelValue = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(LABEL_VALUE, 'must be alphanumerics, "-", "_" or ".", starting and ending alphanumeric');

export const Labels = z.record(LabelKey, LabelValue);
export const Annotations = z.record(LabelKey, z.string());

/** RFC 3339 timestamp with a UTC offset, as Kubernetes writes them. */
export const Timestamp = z.iso.datetime({ offset: true });

export const OwnerReference = z.strictObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  name: ResourceName,
  uid: z.string().min(1),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

/**
 * Object metadata with Kubernetes semantics. `name` is set by the user (or derived from
 * `generateName` by the store); the remaining system fields are owned by the store: a client may
 * send them (a read-modify-write round trip does) but the store decides their values.
 */
export const ObjectMeta = z.strictObject({
  name: ResourceName.optional(),
  generateName: z.string().max(58).optional(),
  namespace: NamespaceName.optional(),
  labels: Labels.optional(),
  annotations: Annotations.optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().nonnegative().optional(),
  creationTimestamp: Timestamp.optional(),
  deletionTimestamp: Timestamp.optional(),
  finalizers: z.array(z.string().min(1)).optional(),
  ownerReferences: z.array(OwnerReference).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;
