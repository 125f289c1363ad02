import { Credential, ErrorCode, PaddockError, ResourceName } from '@paddock/core';
import { z } from 'zod';

/** The Secret `type` of every credential (`kubectl get secrets --field-selector type=…`). */
export const CREDENTIAL_SECRET_TYPE = 'paddock.dev/credential';

/** Labels of a credential's Secret: what `list` selects on. Values are DNS labels, valid as is. */
export const CredentialLabel = {
  ManagedBy: 'app.kubernetes.io/managed-by',
  Namespace: 'paddock.dev/credential-namespace',
  Name: 'paddock.dev/credential-name',
} as const;

/** Annotations holding what Paddock shows of a credential (never its value). */
export const CredentialAnnotation = {
  Type: 'paddock.dev/credential-type',
  Description: 'paddock.dev/description',
  Owner: 'paddock.dev/owner',
  CreatedAt: 'paddock.dev/created-at',
  UpdatedAt: 'paddock.dev/updated-at',
} as const;

const MANAGED_BY = 'paddock';
/** The one key of the Secret's `data`: the value, base64 as Secrets carry it. */
const VALUE_KEY = 'value';

/**
 * The Secret name of credential `namespace/name`, or `undefined` when either is not a DNS label
 * (no such credential can exist). `credential.<namespace>.<name>`: both parts are DNS labels of
 * at most 63 characters and hold no dot, so the name is a valid DNS subdomain of at most 138
 * characters (the limit is 253), one per pair, and never needs shortening with a hash.
 */
export function credentialSecretName(namespace: string, name: string): string | undefined {
  if (!ResourceName.safeParse(namespace).success || !ResourceName.safeParse(name).success) {
    return undefined;
  }
  return `credential.${namespace}.${name}`;
}

/** The label selector of the credentials of `namespace`, or of every namespace. */
export function credentialSelector(namespace?: string): string {
  const managed = `${CredentialLabel.ManagedBy}=${MANAGED_BY}`;
  return namespace === undefined
    ? `${managed},${CredentialLabel.Namespace},${CredentialLabel.Name}`
    : `${managed},${CredentialLabel.Namespace}=${namespace}`;
}

/** A Secret as this store writes and reads it (the fields it uses). */
export const CredentialSecretObject = z.object({
  metadata: z.object({
    name: z.string(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).default({}),
    annotations: z.record(z.string(), z.string()).default({}),
  }),
  data: z.record(z.string(), z.string()).default({}),
});
export type CredentialSecretObject = z.output<typeof CredentialSecretObject>;

/** The Secret of `credential` with `value`, in `secretNamespace` (at `resourceVersion` to update). */
export function credentialSecret(
  credential: Credential,
  value: Uint8Array,
  secretNamespace: string,
  resourceVersion?: string,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: credentialSecretName(credential.namespace, credential.name),
      namespace: secretNamespace,
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      labels: {
        [CredentialLabel.ManagedBy]: MANAGED_BY,
        [CredentialLabel.Namespace]: credential.namespace,
        [CredentialLabel.Name]: credential.name,
      },
      annotations: {
        [CredentialAnnotation.Type]: credential.type,
        [CredentialAnnotation.Description]: credential.description,
        [CredentialAnnotation.Owner]: credential.owner,
        [CredentialAnnotation.CreatedAt]: credential.createdAt,
        [CredentialAnnotation.UpdatedAt]: credential.updatedAt,
      },
    },
    type: CREDENTIAL_SECRET_TYPE,
    data: { [VALUE_KEY]: Buffer.from(value).toString('base64') },
  };
}

/**
 * The credential a Secret describes. `internal` when it is not one of this store's (labels
 * missing or naming another credential than `expected`, its name not the one they give) or its
 * annotations do not make a valid credential: someone edited it by hand.
 */
export function credentialOf(
  secret: CredentialSecretObject,
  expected?: { namespace: string; name: string },
): Credential {
  const { labels, annotations, name } = secret.metadata;
  const namespace = labels[CredentialLabel.Namespace] ?? '';
  const credentialName = labels[CredentialLabel.Name] ?? '';
  const corrupt = (why: string) =>
    new PaddockError(ErrorCode.Internal, `the credential Secret ${name} ${why}`, {
      secret: name,
    });
  if (
    labels[CredentialLabel.ManagedBy] !== MANAGED_BY ||
    credentialSecretName(namespace, credentialName) !== name ||
    (expected !== undefined &&
      (expected.namespace !== namespace || expected.name !== credentialName))
  ) {
    throw corrupt('is not labelled as the credential its name says');
  }
  const parsed = Credential.safeParse({
    namespace,
    name: credentialName,
    type: annotations[CredentialAnnotation.Type],
    description: annotations[CredentialAnnotation.Description],
    owner: annotations[CredentialAnnotation.Owner],
    createdAt: annotations[CredentialAnnotation.CreatedAt],
    updatedAt: annotations[CredentialAnnotation.UpdatedAt],
  });
  if (!parsed.success) throw corrupt('has annotations that do not make a credential');
  return parsed.data;
}

/** The value a Secret holds; `internal` when it has none. */
export function secretValue(secret: CredentialSecretObject): Uint8Array {
  const encoded = secret.data[VALUE_KEY];
  if (encoded === undefined || encoded === '') {
    throw new PaddockError(
      ErrorCode.Internal,
      `the credential Secret ${secret.metadata.name} holds no value`,
      { secret: secret.metadata.name },
    );
  }
  return new Uint8Array(Buffer.from(encoded, 'base64'));
}
