import type { KubeClient } from '../client/kube-client.ts';
import type { CustomResourceDefinition } from './crds.ts';

/** The path of the CustomResourceDefinitions collection. */
export const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** Whether the CRD `name` has condition Established=True (its resources can be served). */
export async function isEstablished(
  client: KubeClient,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const current = await client.request<{
    status?: { conditions?: Array<{ type: string; status: string }> };
  }>('GET', `${CRDS}/${name}`, signal === undefined ? {} : { signal });
  return (
    current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ??
    false
  );
}

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
    while (!(await isEstablished(client, crd.metadata.name, signal))) {
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
