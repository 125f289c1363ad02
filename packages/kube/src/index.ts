// Public surface of @paddock/kube: Paddock on Kubernetes.

export { kubeError } from './client/errors.ts';
export {
  KubeClient,
  type KubeClientOptions,
  type KubeClientStats,
  type RawWatchEvent,
} from './client/kube-client.ts';
export { type CustomResourceDefinition, crdFor, paddockCrds } from './crds/crds.ts';
export { installCrds } from './crds/install.ts';
export { KubeStore } from './store/kube-store.ts';
