// Test support: a kubeconfig for an API server stand-in listening on loopback over plain http.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LoopbackKubeconfig = {
  /** The kubeconfig's path. */
  kubeconfig: string;
  /** Removes the kubeconfig and its directory. */
  remove(): void;
};

/**
 * Writes a kubeconfig naming `http://127.0.0.1:PORT` with bearer `token`, its cluster and
 * context called `name`, into a directory of its own.
 */
export function writeLoopbackKubeconfig(
  port: number,
  token: string,
  name: string,
): LoopbackKubeconfig {
  const dir = mkdtempSync(join(tmpdir(), `paddock-${name}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  // Plain http on loopback: @kubernetes/client-node dials it only with TLS verification off.
  const cluster = { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true };
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster }],
      users: [{ name: 'tester', user: { token } }],
      contexts: [{ name, context: { cluster: name, user: 'tester' } }],
      'current-context': name,
    }),
  );
  return { kubeconfig, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
