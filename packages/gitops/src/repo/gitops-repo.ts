// The GitOps repository of one cluster (`$PADDOCK_HOME/clusters/<name>/gitops/`): a real git
// repository that Argo CD watches. Every mutation writes the work tree and makes exactly one
// commit, or none when nothing changed; mutations of one GitopsRepo run one at a time.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PaddockError } from '@paddock/core';
import { parse, stringify } from 'yaml';
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
import {
  CatalogFile,
  catalogChangeMessage,
  catalogEntryOf,
  catalogFileContent,
} from './catalog-state.ts';
import { type CommandRunner, type GitAuthor, runGit } from './command-runner.ts';
import { type CustomApp, CustomAppFile, type CustomAppInput, customAppFile } from './custom-app.ts';
import { deepMerge, isYamlMap, type YamlMap, type YamlValue } from './deep-merge.ts';
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

export type GitopsRepoOptions = {
  /** The repository's folder (created by `init`). */
  dir: string;
  /** Runs git. */
  runner: CommandRunner;
  /** How Argo CD reaches the repository; the rest defaults to DEFAULT_REPO_SETTINGS. */
  settings: Pick<RepoSettings, 'repoURL'> & Partial<RepoSettings>;
  author?: GitAuthor;
};

/** What a mutation did: the commit it made, or `committed: false` when nothing changed. */
export type CommitResult = { committed: boolean; message: string; sha: string };

export type CommitInfo = { sha: string; subject: string };

/** A file change of one mutation: new content, or `null` to delete the file (or folder). */
type Change = { path: string; content: string | null };

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
  readonly #runner: CommandRunner;
  readonly #author: GitAuthor | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: GitopsRepoOptions) {
    this.dir = options.dir;
    this.settings = { ...DEFAULT_REPO_SETTINGS, ...options.settings };
    this.#runner = options.runner;
    this.#author = options.author;
  }

  /** The AppProject and ApplicationSets watching this repository, for the cluster part to apply. */
  bootstrapObjects(): ArgoObject[] {
    return bootstrapObjects(this.settings);
  }

  /** Whether the folder holds a git repository already. */
  isInitialized(): boolean {
    return existsSync(join(this.dir, '.git'));
  }

  /**
   * Creates the repository with its layout, README and `bootstrap/` objects (one commit), or, when
   * it exists, brings README and `bootstrap/` up to date (a commit only if they changed).
   */
  init(): Promise<CommitResult> {
    return this.#serial(async () => {
      const isNew = !this.isInitialized();
      if (isNew) {
        await mkdir(this.dir, { recursive: true });
        await this.#git(['init', '--quiet', `--initial-branch=${BRANCH}`]);
      }
      // Paddock's chart, which the catalog's `paddock` entry deploys from here; an existing
      // repository gets it only when missing (`upgradePaddockChart` moves it to a new version).
      const chartPath = paddockChartPath(await this.readCatalog());
      const hasChart = !isNew && existsSync(this.#path(`${chartPath}/Chart.yaml`));
      const changes: Change[] = [
        { path: Layout.readme, content: README },
        ...KEEP_DIRS.map((dir) => ({ path: `${dir}/.gitkeep`, content: '' })),
        ...this.bootstrapObjects().map((object) => ({
          path: bootstrapFile(object),
          content: toYaml(object),
        })),
        ...(hasChart ? [] : paddockChartChanges(chartPath)),
      ];
      return this.#commit(
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
    return this.#serial(async () => {
      const chartPath = paddockChartPath(await this.readCatalog());
      const version = paddockChartVersion();
      return this.#commit(
        paddockChartChanges(chartPath),
        `paddock: chart ${version.chart} (paddock ${version.app}) at ${chartPath}`,
      );
    });
  }

  // Custom apps ------------------------------------------------------------------------------

  /** Adds a custom app (`apps: add <name>`), with its Helm values (empty unless given). */
  addApp(input: CustomAppInput, values: YamlMap = {}): Promise<CommitResult> {
    const app = customAppFile(input);
    return this.#serial(async () => {
      if (existsSync(this.#path(appCoordinatesFile(app.name)))) {
        throw new PaddockError('already_exists', `app ${app.name} exists already`, {
          name: app.name,
        });
      }
      return this.#commit(
        [
          { path: appCoordinatesFile(app.name), content: toYaml(app) },
          { path: appValuesFile(app.name), content: toYaml(values) },
        ],
        `apps: add ${app.name} (${app.source.chart || app.source.path}@${app.source.targetRevision})`,
      );
    });
  }

  removeApp(name: string): Promise<CommitResult> {
    return this.#serial(async () => {
      await this.#readApp(name);
      return this.#commit(
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
    return this.#serial(async () => {
      await this.#readApp(name);
      return this.#commit(
        [{ path: appValuesFile(name), content: toYaml(values) }],
        `apps: set values of ${name}`,
      );
    });
  }

  async listApps(): Promise<CustomApp[]> {
    const names = await this.#yamlNames(Layout.appCoordinates);
    return Promise.all(names.map((name) => this.#readApp(name)));
  }

  async appValues(name: string): Promise<YamlMap> {
    await this.#readApp(name);
    return this.#readMap(appValuesFile(name));
  }

  #setAppEnabled(name: string, enabled: boolean): Promise<CommitResult> {
    return this.#serial(async () => {
      const app = await this.#readApp(name);
      return this.#commit(
        [{ path: appCoordinatesFile(name), content: toYaml({ ...app, enabled }) }],
        `apps: ${enabled ? 'enable' : 'disable'} ${name}`,
      );
    });
  }

  async #readApp(name: string): Promise<CustomApp> {
    checkName(name, 'app');
    const text = await this.#readText(appCoordinatesFile(name));
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
    return this.#serial(async () => {
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
      return this.#commit(changes, options.message ?? catalogChangeMessage(before, after));
    });
  }

  /** The catalog's entries as the repository holds them (`gitops:self` restored). */
  async readCatalog(): Promise<CatalogEntry[]> {
    const names = await this.#yamlNames(Layout.catalog);
    return Promise.all(
      names.map(async (name) => {
        const file = CatalogFile.parse(parse((await this.#readText(catalogFile(name))) ?? ''));
        const values = await this.#readMap(catalogValuesFile(name));
        return catalogEntryOf(file, values, this.settings.repoURL);
      }),
    );
  }

  // Agents -----------------------------------------------------------------------------------

  /** Writes an agent namespace: `agents/<name>.yaml` and its manifests under `agents/<name>/`. */
  addAgent(name: string, spec: Omit<AgentSpecInput, 'name'> = {}): Promise<CommitResult> {
    const agent = AgentSpec.parse({ ...spec, name });
    return this.#serial(async () => {
      if (existsSync(this.#path(agentFile(name)))) {
        throw new PaddockError('already_exists', `agent namespace ${name} exists already`, {
          name,
        });
      }
      return this.#commit(
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
    return this.#serial(async () => {
      const before = await this.#readAgent(name);
      const parsed = AgentSpec.safeParse(mergeAgentChanges(before, changes));
      if (!parsed.success) {
        throw new PaddockError('validation_failed', `agent namespace ${name}: invalid update`, {
          issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      const after = parsed.data;
      return this.#commit(
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
    return this.#serial(async () => {
      await this.#readAgent(name);
      return this.#commit(
        [
          { path: agentFile(name), content: null },
          { path: agentManifestsDir(name), content: null },
        ],
        `agents: remove ${name}`,
      );
    });
  }

  async listAgents(): Promise<AgentSpec[]> {
    const names = await this.#yamlNames(Layout.agents);
    return Promise.all(names.map((name) => this.#readAgent(name)));
  }

  async #readAgent(name: string): Promise<AgentSpec> {
    checkName(name, 'agent namespace');
    const text = await this.#readText(agentFile(name));
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
    return this.#serial(() =>
      this.#commit(
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
    return this.#readMap(infraFile(component));
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

  // History ----------------------------------------------------------------------------------

  async head(): Promise<string> {
    return (await this.#git(['rev-parse', 'HEAD'])).stdout.trim();
  }

  /** The commits, newest first. */
  async log(limit = 100): Promise<CommitInfo[]> {
    const { stdout } = await this.#git(['log', `--max-count=${limit}`, '--format=%H%x09%s']);
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t');
        return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
      });
  }

  // Internals --------------------------------------------------------------------------------

  /** Runs mutations one after another, whether the one before succeeded or not. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes `changes`, stages everything and commits with `message` when anything differs. A work
   * tree with uncommitted edits of someone else is refused first, so a commit holds one change.
   */
  async #commit(
    changes: readonly Change[],
    message: string,
    options: { requireClean?: boolean } = {},
  ): Promise<CommitResult> {
    if (options.requireClean ?? true) await this.#requireClean();
    for (const change of changes) {
      const file = this.#path(change.path);
      if (change.content === null) {
        await rm(file, { recursive: true, force: true });
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, change.content);
      }
    }
    await this.#git(['add', '--all']);
    const staged = await this.#git(['diff', '--cached', '--quiet'], { allowFailure: true });
    if (staged.exitCode === 0) {
      return { committed: false, message, sha: await this.head() };
    }
    await this.#git(['commit', '--quiet', '--no-verify', '-m', message]);
    return { committed: true, message, sha: await this.head() };
  }

  async #requireClean(): Promise<void> {
    if (!this.isInitialized()) {
      throw new PaddockError('not_found', `no GitOps repository in ${this.dir}: run init first`);
    }
    const { stdout } = await this.#git(['status', '--porcelain', '--untracked-files=all']);
    if (stdout.trim() !== '') {
      throw new PaddockError(
        'conflict',
        'the GitOps repository has uncommitted changes: commit or discard them first',
        { status: stdout.trim().split('\n') },
      );
    }
  }

  #git(args: readonly string[], options: { allowFailure?: boolean } = {}) {
    return runGit(this.#runner, this.dir, args, {
      ...(this.#author === undefined ? {} : { author: this.#author }),
      ...options,
    });
  }

  #path(relative: string): string {
    return join(this.dir, relative);
  }

  async #readText(relative: string): Promise<string | undefined> {
    try {
      return await readFile(this.#path(relative), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #readMap(relative: string): Promise<YamlMap> {
    const text = await this.#readText(relative);
    return text === undefined ? {} : asMap(parse(text), relative);
  }

  /** The names of the `*.yaml` files directly in `dir`, sorted. */
  async #yamlNames(dir: string): Promise<string[]> {
    const entries = await readdir(this.#path(dir), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
      .map((entry) => entry.name.slice(0, -'.yaml'.length))
      .sort();
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

/** A YAML document that must be a map; an empty document is `{}`. */
function asMap(value: unknown, file: string): YamlMap {
  if (value === null || value === undefined) return {};
  if (!isYamlMap(value)) throw new PaddockError('validation_failed', `${file} must hold a map`);
  return value as YamlMap;
}

/** YAML as the repository writes it: block style, no line folding, stable across runs. */
export function toYaml(value: unknown): string {
  return stringify(value as YamlValue, { lineWidth: 0 });
}
