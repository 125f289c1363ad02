// Test support: a kubeconfig for a test server and the real kubectl (skipped where absent).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
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

export type TlsProxy = { url: string; caPem: string; close(): Promise<void> };

/**
 * A TLS front for `target` (as the proxy or ingress before a server that requires keys): a
 * self-signed certificate for 127.0.0.1 made with openssl in `dir`, every request and its
 * streamed answer passed through. kubectl sends bearer tokens only over TLS.
 */
export async function startTlsProxy(dir: string, target: string): Promise<TlsProxy> {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=paddock-test',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ];
  const openssl = spawnSync('openssl', args, { encoding: 'utf8' });
  if (openssl.status !== 0) throw new Error(`openssl: ${openssl.stderr}`);
  const caPem = readFileSync(cert, 'utf8');
  const upstream = new URL(target);
  const server = createHttpsServer({ key: readFileSync(key), cert: caPem }, (req, res) => {
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
