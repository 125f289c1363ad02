import type { KubeClient } from '../client/kube-client.ts';
import type { CustomResourceDefinition } from './crds.ts';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/**
 * Applies `crds` (server-side apply, field manager `paddock`, forced: Paddock owns its CRDs) and
 * waits until each is Established, and its resources answer (a fresh CRD's answer 429 for a
 * moment; the client retries those).
 */
export async function installCrds(
  client: KubeClient,
  crds: readonly CustomResourceDefinition[],
  signal?: AbortSignal,
): Promise<void> {
  await Promise.all(
    crds.map((crd) =>
      client.request('PATCH', `${CRDS}/${crd.metadata.name}`, {
        query: { fieldManager: 'paddock', force: true },
        body: crd,
        contentType: 'application/apply-patch+yaml',
        ...(signal === undefined ? {} : { signal }),
      }),
    ),
  );
  for (const crd of crds) {
    for (;;) {
      const current = await client.request<{
        status?: { conditions?: Array<{ type: string; status: string }> };
      }>('GET', `${CRDS}/${crd.metadata.name}`, signal === undefined ? {} : { signal });
      const established = current.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const spec = crd.spec as {
      group: string;
      names: { plural: string };
      versions: Array<{ name: string }>;
    };
    const version = spec.versions[0]?.name ?? 'v1alpha1';
    await client.request('GET', `/apis/${spec.group}/${version}/${spec.names.plural}`, {
      query: { limit: 1 },
      ...(signal === undefined ? {} : { signal }),
    });
  }
}
