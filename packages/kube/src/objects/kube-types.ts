/**
 * The Kubernetes objects the builders return, typed as they travel on the wire (JSON field
 * names, timestamps as strings). Type-only: from the models of the official OpenAPI schemas
 * that the tests validate against, so nothing of them is loaded at run time.
 */

export type { INetworkPolicy as NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
export type { INetworkPolicyEgressRule as NetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
export type { INetworkPolicyPeer as NetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
export type { IConfigMap as ConfigMap } from 'kubernetes-models/v1/ConfigMap';
export type { IContainer as Container } from 'kubernetes-models/v1/Container';
export type { IEnvVar as EnvVar } from 'kubernetes-models/v1/EnvVar';
export type { INamespace as Namespace } from 'kubernetes-models/v1/Namespace';
export type { IPersistentVolumeClaim as PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
export type { IPod as Pod } from 'kubernetes-models/v1/Pod';
export type { IPodSecurityContext as PodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
export type { IPodSpec as PodSpec } from 'kubernetes-models/v1/PodSpec';
export type { IResourceQuota as ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
export type { IResourceRequirements as ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
export type { ISecurityContext as SecurityContext } from 'kubernetes-models/v1/SecurityContext';
export type { IService as Service } from 'kubernetes-models/v1/Service';
export type { IServiceAccount as ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
export type { IVolume as Volume } from 'kubernetes-models/v1/Volume';
export type { IVolumeMount as VolumeMount } from 'kubernetes-models/v1/VolumeMount';

import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import type { IPod } from 'kubernetes-models/v1/Pod';

/** Object metadata. */
export type ObjectMeta = NonNullable<IPod['metadata']>;
/** A label selector (`matchLabels`, `matchExpressions`). */
export type LabelSelector = NonNullable<INetworkPolicySpec['podSelector']>;
