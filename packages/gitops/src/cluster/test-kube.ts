// Test support: the test API server (testkit) with the upstream CRDs of Argo CD, Cilium and
// prometheus-operator installed, as the shared kube folder holds them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCrds, KubeClient } from '@paddock/kube';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const CRD_DIR = join(process.env.PADDOCK_KUBE_SERVER ?? join(ROOT, '..', 'shared', 'kube'), 'crds');
const GROUPS = ['argo-cd', 'cilium', 'prometheus-operator'];

export const upstreamSkipReason: string | undefined =
  kubeSkipReason ??
  (GROUPS.every((g) => existsSync(join(CRD_DIR, g)))
    ? undefined
    : `no upstream CRDs: ${GROUPS.join(', ')} under crds/ of PADDOCK_KUBE_SERVER's folder (or shared/kube beside the repository)`);

export async function startUpstreamKube(): Promise<{ server: KubeTestServer; client: KubeClient }> {
  const server = await startKubeTestServer();
  const client = await KubeClient.fromKubeconfig(server.kubeconfig);
  const crds = GROUPS.flatMap((g) =>
    readdirSync(join(CRD_DIR, g))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => parse(readFileSync(join(CRD_DIR, g, f), 'utf8'))),
  );
  await installCrds(client, crds);
  return { server, client };
}
