/**
 * A key every replica of the server shares (the gateway's run-token key, the E2B surface's
 * access-token key), kept as one Kubernetes Secret instead of a file in each replica's home:
 * read it; when there is none, create it with 32 random bytes; when another replica created it
 * meanwhile (409 AlreadyExists), read the winner's. So all replicas sign and verify with the
 * same key, whichever starts first.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { z } from 'zod';
import type { KubeClient } from '../client/kube-client.ts';

/** The Secret's type and the key's field in its data. */
export const SHARED_KEY_TYPE = 'paddock.dev/key';
const FIELD = 'key';
const KEY_BYTES = 32;

const KeySecret = z.object({
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
});

/**
 * The key in the Secret `name` of `namespace`, made if absent. `internal` when a Secret of that
 * name holds no key of 32 bytes (made by something else); `runtime_unavailable` on an API server
 * without Secrets; the client's errors otherwise (`forbidden` without RBAC, …).
 */
export async function readOrCreateSharedKey(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Uint8Array> {
  const collection = `/api/v1/namespaces/${namespace}/secrets`;
  const read = async () => {
    try {
      return keyOf(await client.request('GET', `${collection}/${name}`), namespace, name);
    } catch (error) {
      if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
      throw error;
    }
  };
  const existing = await read();
  if (existing !== undefined) return existing;
  const key = randomBytes(KEY_BYTES);
  try {
    await client.request('POST', collection, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: SHARED_KEY_TYPE,
        metadata: {
          name,
          namespace,
          labels: { 'app.kubernetes.io/managed-by': 'paddock' },
        },
        data: { [FIELD]: key.toString('base64') },
      },
    });
    return new Uint8Array(key);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `cannot keep the shared key ${namespace}/${name}: the API server has no Secrets there (${error.message})`,
      );
    }
    if (!isPaddockError(error, ErrorCode.AlreadyExists)) throw error;
  }
  // Another replica made it first: its key is everyone's.
  const winner = await read();
  if (winner !== undefined) return winner;
  throw new PaddockError(
    ErrorCode.Conflict,
    `the shared key ${namespace}/${name} was created and deleted while it was read; try again`,
  );
}

function keyOf(body: unknown, namespace: string, name: string): Uint8Array {
  const secret = KeySecret.safeParse(body);
  const text = secret.success ? secret.data.data?.[FIELD] : undefined;
  const key = text === undefined ? undefined : Buffer.from(text, 'base64');
  if (key === undefined || key.length !== KEY_BYTES) {
    throw new PaddockError(
      ErrorCode.Internal,
      `Secret ${namespace}/${name} holds no ${KEY_BYTES}-byte data.${FIELD}: it is not a key Paddock made (delete it to let Paddock make one)`,
    );
  }
  return new Uint8Array(key);
}
