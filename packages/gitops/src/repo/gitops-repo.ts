// The GitOps repository of one cluster (`$PADDOCK_HOME/clusters/<name>/gitops/`): a real git
// repository that Argo CD watches. Every mutation writes the work tree and makes exactly one
// commit, or none when nothing changed; mutations of one GitopsRepo run one at a time.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { PaddockError } from '@paddock/core';
import { parse } from 'yaml';
import { CatalogEntry, type CatalogEntryInput } from '../catalog/index.ts';
import {
  AgentSpec,
  type AgentSpecInput,
  agentManifests,
  agentUpdateMessage,
  mergeAgentChanges,
} from './agent-namespace.ts';
import {
  type ArgoObject,
  bootstrapFile,
  bootstrapObjects,
  DEFAULT_REPO_SETTINGS,
  type RepoSettings,
} from './argocd-objects.ts';
import { catalogChangeMessage, catalogFileContent, readCatalogEntry } from './catalog-state.ts';
import type { CommandRunner, GitAuthor } from './command-runner.ts';
import { type CustomApp, CustomAppFile, type CustomAppInput, customAppFile } from './custom-app.ts';
import { deepMerge, type YamlMap } from './deep-merge.ts';
import { type InfraComponent, infraDefaults, isInfraComponent } from './infra-defaults.ts';
import {
  agentFile,
  agentManifestsDir,
  appCoordinatesFile,
  appValuesFile,
  catalogFile,
  catalogValuesFile,
  infraFile,
  Layout,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
  README,
} from './layout.ts';
import { paddockChartChanges, paddockChartPath, paddockChartVersion } from './paddock-chart.ts';
import { type Change, type CommitResult, toYaml, WorkTree } from './work-tree.ts';

export { type CommitResult, toYaml } from './work-tree.ts';

export type GitopsRepoOptions = {
  /** The repository's folder (created by `init`). */
  dir: string;
  /** Runs git. */
  runner: CommandRunner;
  /** How Argo CD reaches the repository; the rest defaults to DEFAULT_REPO_SETTINGS. */
  settings: Pick<RepoSettings, 'repoURL'> & Partial<RepoSettings>;
  author?: GitAuthor;
};

export type CommitInfo = { sha: string; subject: string };

const BRANCH = 'main';
const KEEP_DIRS = [
  Layout.appCoordinates,
  Layout.appValues,
  Layout.catalog,
  Layout.agents,
  Layout.infra,
];

export class GitopsRepo {
  readonly dir: string;
  readonly settings: RepoSettings;
  readonly #tree: WorkTree;

  constructor(options: GitopsRepoOptions) {
    this.dir = options.dir;
    this.settings = { ...DEFAULT_REPO_SETTINGS, ...options.settings };
    this.#tree = new WorkTree({
      dir: options.dir,
      runner: options.runner,
      ...(options.author === undefined ? {} : { author: options.author }),
    });
  }

  /** The AppProject and ApplicationSets watching this repository, for the cluster part to apply. */
  bootstrapObjects(): ArgoObject[] {
    return bootstrapObjects(this.settings);
  }

  /** Whether the folder holds a git repository already. */
  isInitialized(): boolean {
    return this.#tree.isInitialized();
  }

  /**
   * Creates the repository with its layout, README and `bootstrap/` objects (one commit), or, when
   * it exists, brings README and `bootstrap/` up to date (a commit only if they changed).
   */
  init(): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      const isNew = !this.isInitialized();
      if (isNew) {
        await mkdir(this.dir, { recursive: true });
        await this.#tree.git(['init', '--quiet', `--initial-branch=${BRANCH}`]);
      }
      // Paddock's chart, which the catalog's `paddock` entry deploys from here; an existing
      // repository gets it only when missing (`upgradePaddockChart` moves it to a new version).
      const chartPath = paddockChartPath(await this.readCatalog());
      const hasChart = !isNew && existsSync(this.#tree.path(`${chartPath}/Chart.yaml`));
      const changes: Change[] = [
        { path: Layout.readme, content: README },
        ...KEEP_DIRS.map((dir) => ({ path: `${dir}/.gitkeep`, content: '' })),
        ...this.bootstrapObjects().map((object) => ({
          path: bootstrapFile(object),
          content: toYaml(object),
        })),
        ...(hasChart ? [] : paddockChartChanges(chartPath)),
      ];
      return this.#tree.commit(
        changes,
        isNew ? 'init: gitops repository' : 'bootstrap: update argo cd objects',
        {
          requireClean: !isNew,
        },
      );
    });
  }

  /**
   * Writes this CLI's Paddock chart at the path of the catalog's `paddock` entry, replacing what
   * was there (files the new chart lacks are removed): one commit, none when it is up to date.
   */
  upgradePaddockChart(): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      const chartPath = paddockChartPath(await this.readCatalog());
      const version = paddockChartVersion();
      return this.#tree.commit(
        paddockChartChanges(chartPath),
        `paddock: chart ${version.chart} (paddock ${version.app}) at ${chartPath}`,
      );
    });
  }

  // Custom apps ------------------------------------------------------------------------------

  /** Adds a custom app (`apps: add <name>`), with its Helm values (empty unless given). */
  addApp(input: CustomAppInput, values: YamlMap = {}): Promise<CommitResult> {
    const app = customAppFile(input);
    return this.#tree.serial(async () => {
      if (existsSync(this.#tree.path(appCoordinatesFile(app.name)))) {
        throw new PaddockError('already_exists', `app ${app.name} exists already`, {
          name: app.name,
        });
      }
      return this.#tree.commit(
        [
          { path: appCoordinatesFile(app.name), content: toYaml(app) },
          { path: appValuesFile(app.name), content: toYaml(values) },
        ],
        `apps: add ${app.name} (${app.source.chart || app.source.path}@${app.source.targetRevision})`,
      );
    });
  }

  removeApp(name: string): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      await this.#readApp(name);
      return this.#tree.commit(
        [
          { path: appCoordinatesFile(name), content: null },
          { path: appValuesFile(name), content: null },
        ],
        `apps: remove ${name}`,
      );
    });
  }

  enableApp(name: string): Promise<CommitResult> {
    return this.#setAppEnabled(name, true);
  }

  disableApp(name: string): Promise<CommitResult> {
    return this.#setAppEnabled(name, false);
  }

  /** Replaces a custom app's Helm values (`apps: set values of <name>`). */
  setAppValues(name: string, values: YamlMap): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      await this.#readApp(name);
      return this.#tree.commit(
        [{ path: appValuesFile(name), content: toYaml(values) }],
        `apps: set values of ${name}`,
      );
    });
  }

  async listApps(): Promise<CustomApp[]> {
    const names = await this.#tree.yamlNames(Layout.appCoordinates);
    return Promise.all(names.map((name) => this.#readApp(name)));
  }

  async appValues(name: string): Promise<YamlMap> {
    await this.#readApp(name);
    return this.#tree.readMap(appValuesFile(name));
  }

  #setAppEnabled(name: string, enabled: boolean): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      const app = await this.#readApp(name);
      return this.#tree.commit(
        [{ path: appCoordinatesFile(name), content: toYaml({ ...app, enabled }) }],
        `apps: ${enabled ? 'enable' : 'disable'} ${name}`,
      );
    });
  }

  async #readApp(name: string): Promise<CustomApp> {
    checkName(name, 'app');
    const text = await this.#tree.readText(appCoordinatesFile(name));
    if (text === undefined) throw new PaddockError('not_found', `no app ${name}`, { name });
    return CustomAppFile.parse(parse(text));
  }

  // Catalog ----------------------------------------------------------------------------------

  /**
   * Writes the catalog's state: one `catalog/<name>.yaml` per entry (and its values), removing the
   * files of entries no longer given. `message` is the commit's (the catalog part knows what was
   * asked and what came with it: `catalog: enable litellm (+ postgresql)`); without one it says
   * what changed.
   */
  writeCatalog(
    entries: readonly CatalogEntryInput[],
    options: { message?: string } = {},
  ): Promise<CommitResult> {
    const parsed = entries.map((entry) => CatalogEntry.parse(entry));
    const after = new Map(parsed.map((entry) => [entry.name, entry]));
    if (after.size !== parsed.length) {
      throw new PaddockError('validation_failed', 'catalog entries must have distinct names');
    }
    return this.#tree.serial(async () => {
      const before = new Map((await this.readCatalog()).map((entry) => [entry.name, entry]));
      const changes: Change[] = [];
      for (const entry of parsed) {
        changes.push({
          path: catalogFile(entry.name),
          content: toYaml(catalogFileContent(entry, this.settings.repoURL)),
        });
        changes.push({
          path: catalogValuesFile(entry.name),
          content: Object.keys(entry.values).length === 0 ? null : toYaml(entry.values),
        });
      }
      for (const name of before.keys()) {
        if (after.has(name)) continue;
        changes.push(
          { path: catalogFile(name), content: null },
          { path: catalogValuesFile(name), content: null },
        );
      }
      return this.#tree.commit(changes, options.message ?? catalogChangeMessage(before, after));
    });
  }

  /** The catalog's entries as the repository holds them (`gitops:self` restored). */
  async readCatalog(): Promise<CatalogEntry[]> {
    const names = await this.#tree.yamlNames(Layout.catalog);
    return Promise.all(
      names.map(async (name) => {
        const text = (await this.#tree.readText(catalogFile(name))) ?? '';
        const values = await this.#tree.readMap(catalogValuesFile(name));
        return readCatalogEntry(catalogFile(name), text, values, this.settings.repoURL);
      }),
    );
  }

  // Agents -----------------------------------------------------------------------------------

  /** Writes an agent namespace: `agents/<name>.yaml` and its manifests under `agents/<name>/`. */
  addAgent(name: string, spec: Omit<AgentSpecInput, 'name'> = {}): Promise<CommitResult> {
    const agent = AgentSpec.parse({ ...spec, name });
    return this.#tree.serial(async () => {
      if (existsSync(this.#tree.path(agentFile(name)))) {
        throw new PaddockError('already_exists', `agent namespace ${name} exists already`, {
          name,
        });
      }
      return this.#tree.commit(
        [{ path: agentFile(name), content: toYaml(agent) }, ...this.#agentManifestChanges(agent)],
        `agents: add ${name} (cpu ${agent.cpu}, memory ${agent.memory}, pods ${agent.pods})`,
      );
    });
  }

  /**
   * Changes an agent namespace in one commit: `changes` over its current spec (`egress` merged
   * key by key), its manifests rewritten (files no longer produced removed). No commit when
   * nothing changed.
   */
  updateAgent(name: string, changes: Omit<AgentSpecInput, 'name'>): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      const before = await this.#readAgent(name);
      const parsed = AgentSpec.safeParse(mergeAgentChanges(before, changes));
      if (!parsed.success) {
        throw new PaddockError('validation_failed', `agent namespace ${name}: invalid update`, {
          issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      const after = parsed.data;
      return this.#tree.commit(
        [
          { path: agentFile(name), content: toYaml(after) },
          { path: agentManifestsDir(name), content: null },
          ...this.#agentManifestChanges(after),
        ],
        agentUpdateMessage(before, after),
      );
    });
  }

  #agentManifestChanges(agent: AgentSpec): Change[] {
    return Object.entries(agentManifests(agent)).map(([file, manifest]) => ({
      path: `${agentManifestsDir(agent.name)}/${file}`,
      content: toYaml(manifest),
    }));
  }

  removeAgent(name: string): Promise<CommitResult> {
    return this.#tree.serial(async () => {
      await this.#readAgent(name);
      return this.#tree.commit(
        [
          { path: agentFile(name), content: null },
          { path: agentManifestsDir(name), content: null },
        ],
        `agents: remove ${name}`,
      );
    });
  }

  async listAgents(): Promise<AgentSpec[]> {
    const names = await this.#tree.yamlNames(Layout.agents);
    return Promise.all(names.map((name) => this.#readAgent(name)));
  }

  async #readAgent(name: string): Promise<AgentSpec> {
    checkName(name, 'agent namespace');
    const text = await this.#tree.readText(agentFile(name));
    if (text === undefined)
      throw new PaddockError('not_found', `no agent namespace ${name}`, { name });
    return AgentSpec.parse(parse(text));
  }

  // Infra ------------------------------------------------------------------------------------

  /**
   * Replaces `infra/<component>.yaml`, the overrides of an infrastructure component (cilium,
   * argocd, paddock) or of a catalog entry's values (Argo CD passes it after the entry's values,
   * and Helm merges value files the same way). `{}` removes the file.
   */
  setInfra(component: InfraComponent | string, overrides: YamlMap): Promise<CommitResult> {
    checkName(component, 'infra component');
    return this.#tree.serial(() =>
      this.#tree.commit(
        [
          {
            path: infraFile(component),
            content: Object.keys(overrides).length === 0 ? null : toYaml(overrides),
          },
        ],
        Object.keys(overrides).length === 0
          ? `infra: reset ${component} to the defaults`
          : `infra: override ${component}`,
      ),
    );
  }

  /** The overrides in `infra/<component>.yaml` (`{}` when there are none). */
  infraOverrides(component: InfraComponent | string): Promise<YamlMap> {
    checkName(component, 'infra component');
    return this.#tree.readMap(infraFile(component));
  }

  /**
   * A component's values: its overrides deep-merged over `defaults` (the compiled-in ones of an
   * infrastructure component; pass a catalog entry's values for an entry).
   */
  async infraValues(
    component: InfraComponent | string,
    defaults: YamlMap = isInfraComponent(component) ? infraDefaults(component) : {},
  ): Promise<YamlMap> {
    return deepMerge(defaults, await this.infraOverrides(component)) as YamlMap;
  }

  /**
   * The Helm values Paddock is deployed with, whoever deploys it: the `paddock` catalog entry's
   * values (`catalog/values/paddock.yaml`) with `infra/paddock.yaml` deep-merged over them, as
   * Argo CD passes the two files to Helm in that order; `paddock install`'s applier gets the same.
   */
  async paddockValues(): Promise<YamlMap> {
    const entry = (await this.readCatalog()).find((e) => e.name === 'paddock');
    return this.infraValues('paddock', (entry?.values ?? {}) as YamlMap);
  }

  // History ----------------------------------------------------------------------------------

  head(): Promise<string> {
    return this.#tree.head();
  }

  /** The commits, newest first. */
  async log(limit = 100): Promise<CommitInfo[]> {
    const { stdout } = await this.#tree.git(['log', `--max-count=${limit}`, '--format=%H%x09%s']);
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t');
        return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
      });
  }
}

function checkName(name: string, what: string): void {
  if (!NAME_PATTERN.test(name) || name.length > NAME_MAX_LENGTH) {
    throw new PaddockError(
      'validation_failed',
      `${what} name ${JSON.stringify(name)} must be a DNS-1123 label`,
    );
  }
}
