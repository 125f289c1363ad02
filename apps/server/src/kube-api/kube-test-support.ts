// Test support: a kubeconfig for a test server and the real kubectl (skipped where absent).
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const kubectlSkipReason: string | undefined =
  spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0
    ? undefined
    : 'kubectl is not on PATH (it comes with the Google Cloud CLI or from kubernetes.io)';

/** Writes a kubeconfig naming `url` with bearer `token` into `dir`; returns its path. */
export function writeKubeconfig(
  dir: string,
  url: string,
  token: string,
  name = 'paddock',
  caPem?: string,
): string {
  const path = join(dir, `${name}.kubeconfig`);
  const tls =
    caPem === undefined
      ? // @kubernetes/client-node dials plain HTTP only with TLS verification off (no TLS).
        { 'insecure-skip-tls-verify': url.startsWith('http:') }
      : { 'certificate-authority-data': Buffer.from(caPem).toString('base64') };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, ...tls } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export type KubectlResult = { code: number; stdout: string; stderr: string };

/** Runs kubectl with `kubeconfig`; resolves with its exit code and output (never rejects). */
export function kubectl(
  kubeconfig: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      args,
      {
        // kubectl caches discovery under $HOME/.kube: the kubeconfig's folder keeps it per server.
        env: { PATH: process.env.PATH, HOME: dirname(kubeconfig), KUBECONFIG: kubeconfig },
        timeout: options.timeoutMs ?? 30_000,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
