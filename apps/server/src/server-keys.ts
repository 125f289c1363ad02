/**
 * The server's own keys: the gateway's (run tokens) and the E2B surface's (envd access tokens).
 * Every replica must sign and verify with the same ones. On one machine they are files of the
 * data directory (`gateway.key`, `e2b.key`); on a cluster, Secrets of the server's namespace
 * (`cluster-backend.ts`), so that several replicas agree.
 */
import { join } from 'node:path';
import { readOrCreateSecret } from './secret-file.ts';

export type ServerKeys = {
  gateway: Uint8Array;
  e2b: Uint8Array;
  /**
   * The preview credentials' key (`PreviewSigner`), on a cluster only, where several replicas
   * behind one Service must accept each other's; on one machine each start makes its own, so
   * preview credentials die with the process.
   */
  preview?: Uint8Array;
};

/** Each key's file in the data directory, and its Secret on a cluster. */
export const SERVER_KEYS = {
  gateway: { file: 'gateway.key', secret: 'paddock-gateway-key' },
  e2b: { file: 'e2b.key', secret: 'paddock-e2b-key' },
} as const;

/** The Secret of the preview key on a cluster (it has no file: see `ServerKeys.preview`). */
export const PREVIEW_KEY_SECRET = 'paddock-preview-key';

/** The keys as files of `home` (0600), made on first use. */
export function localServerKeys(home: string): ServerKeys {
  return {
    gateway: readOrCreateSecret(join(home, SERVER_KEYS.gateway.file)),
    e2b: readOrCreateSecret(join(home, SERVER_KEYS.e2b.file)),
  };
}
