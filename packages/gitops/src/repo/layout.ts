/**
 * Where things live in the GitOps repository. Each folder whose files a git generator reads holds
 * one YAML map per app, agent or entry; anything else in it lives one folder deeper, which the
 * generators exclude (Argo CD's default git-file globbing lets `*` cross `/`).
 */
export const Layout = {
  readme: 'README.md',
  appCoordinates: 'apps/coordinates',
  appValues: 'apps/values',
  catalog: 'catalog',
  catalogValues: 'catalog/values',
  agents: 'agents',
  infra: 'infra',
  bootstrap: 'bootstrap',
} as const;

export const appCoordinatesFile = (name: string): string => `${Layout.appCoordinates}/${name}.yaml`;
export const appValuesFile = (name: string): string => `${Layout.appValues}/${name}.yaml`;
export const catalogFile = (name: string): string => `${Layout.catalog}/${name}.yaml`;
export const catalogValuesFile = (name: string): string => `${Layout.catalogValues}/${name}.yaml`;
export const agentFile = (name: string): string => `${Layout.agents}/${name}.yaml`;
/** The folder of an agent namespace's manifests, the source of its Application. */
export const agentManifestsDir = (name: string): string => `${Layout.agents}/${name}`;
export const infraFile = (name: string): string => `${Layout.infra}/${name}.yaml`;

/** The Application Argo CD generates for each kind of thing the repository holds. */
export const applicationName = {
  app: (name: string): string => `app-${name}`,
  catalog: (name: string): string => `catalog-${name}`,
  agent: (name: string): string => `agent-${name}`,
} as const;

/** A name that is a file name here and a Kubernetes name (DNS-1123 label) there. */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Room for the `catalog-`/`agent-` prefixes of Application names within 63 characters. */
export const NAME_MAX_LENGTH = 53;

export const README = `# Paddock GitOps repository

This repository is the desired state of a Paddock cluster. Argo CD watches it; \`paddock cluster\`,
\`paddock app\` and \`paddock cluster agent\` write it, one commit per change (\`git log\` is the
history of the cluster). You may edit it by hand too: commit, and Argo CD rolls the change out.

| path | what | rolled out by |
|---|---|---|
| \`apps/coordinates/<name>.yaml\` | a custom app: \`name\`, \`enabled\`, \`namespace\`, \`source\` (\`repoURL\`, \`chart\` or \`path\` of a Helm chart, \`targetRevision\`) | ApplicationSet \`paddock-apps\` (Applications \`app-<name>\`), only \`enabled: true\` |
| \`apps/values/<name>.yaml\` | the Helm values of that app | (the same Application) |
| \`catalog/<name>.yaml\` | a catalog entry: \`name, category, description, repoURL, chart\` (or \`chartPath\` of a chart in a git repository), \`targetRevision, namespace, enabled, tier, dependsOn, prerequisites\` | ApplicationSet \`paddock-catalog\` (Applications \`catalog-<name>\`), only \`enabled: true\`, tier by tier (sync wave = tier) |
| \`catalog/values/<name>.yaml\` | Helm values of a catalog entry (optional) | (the same Application) |
| \`agents/<name>.yaml\` | an agent namespace: quota (cpu, memory, pods) and network grants | ApplicationSet \`paddock-agents\` (Applications \`agent-<name>\`) |
| \`agents/<name>/\` | its manifests: Namespace, ResourceQuota, NetworkPolicies (default deny + grants), ServiceAccount | (the same Application) |
| \`infra/<component>.yaml\` | overrides deep-merged over Paddock's defaults (maps merge; lists and scalars replace): \`cilium.yaml\` and \`argocd.yaml\` of their Helm values, \`<entry>.yaml\` of a catalog entry's values (Paddock's included) | Cilium and Argo CD: \`paddock cluster create\` and \`paddock cluster upgrade\` (Helm, given the merged values); a catalog entry: its Application (a second value file) |
| \`bootstrap/\` | the AppProject and ApplicationSets above | \`paddock cluster create\` / \`--existing\` |
`;
