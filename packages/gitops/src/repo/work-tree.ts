// The work tree of a GitOps repository: reads its files and turns a list of file changes into one
// commit (none when nothing changed), running the mutations queued on it one at a time.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PaddockError } from '@paddock/core';
import { parse, stringify } from 'yaml';
import { type CommandRunner, type GitAuthor, runGit } from './command-runner.ts';
import { isYamlMap, type YamlMap, type YamlValue } from './deep-merge.ts';

/** What a mutation did: the commit it made, or `committed: false` when nothing changed. */
export type CommitResult = { committed: boolean; message: string; sha: string };

/** A file change of one mutation: new content, or `null` to delete the file (or folder). */
export type Change = { path: string; content: string | null };

export type WorkTreeOptions = { dir: string; runner: CommandRunner; author?: GitAuthor };

export class WorkTree {
  readonly dir: string;
  readonly #runner: CommandRunner;
  readonly #author: GitAuthor | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: WorkTreeOptions) {
    this.dir = options.dir;
    this.#runner = options.runner;
    this.#author = options.author;
  }

  /** Whether the folder holds a git repository already. */
  isInitialized(): boolean {
    return existsSync(join(this.dir, '.git'));
  }

  async head(): Promise<string> {
    return (await this.git(['rev-parse', 'HEAD'])).stdout.trim();
  }

  /** Runs mutations one after another, whether the one before succeeded or not. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes `changes`, stages everything and commits with `message` when anything differs. A work
   * tree with uncommitted edits of someone else is refused first, so a commit holds one change.
   */
  async commit(
    changes: readonly Change[],
    message: string,
    options: { requireClean?: boolean } = {},
  ): Promise<CommitResult> {
    if (options.requireClean ?? true) await this.#requireClean();
    for (const change of changes) {
      const file = this.path(change.path);
      if (change.content === null) {
        await rm(file, { recursive: true, force: true });
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, change.content);
      }
    }
    await this.git(['add', '--all']);
    const staged = await this.git(['diff', '--cached', '--quiet'], { allowFailure: true });
    if (staged.exitCode === 0) {
      return { committed: false, message, sha: await this.head() };
    }
    await this.git(['commit', '--quiet', '--no-verify', '-m', message]);
    return { committed: true, message, sha: await this.head() };
  }

  async #requireClean(): Promise<void> {
    if (!this.isInitialized()) {
      throw new PaddockError('not_found', `no GitOps repository in ${this.dir}: run init first`);
    }
    const { stdout } = await this.git(['status', '--porcelain', '--untracked-files=all']);
    if (stdout.trim() !== '') {
      throw new PaddockError(
        'conflict',
        'the GitOps repository has uncommitted changes: commit or discard them first',
        { status: stdout.trim().split('\n') },
      );
    }
  }

  git(args: readonly string[], options: { allowFailure?: boolean } = {}) {
    return runGit(this.#runner, this.dir, args, {
      ...(this.#author === undefined ? {} : { author: this.#author }),
      ...options,
    });
  }

  path(relative: string): string {
    return join(this.dir, relative);
  }

  async readText(relative: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(relative), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The YAML map in `relative` (`{}` when absent or empty); `validation_failed` naming it if bad. */
  async readMap(relative: string): Promise<YamlMap> {
    const text = await this.readText(relative);
    if (text === undefined) return {};
    let value: unknown;
    try {
      value = parse(text);
    } catch (error) {
      throw new PaddockError(
        'validation_failed',
        `${relative} is not valid YAML: ${(error as Error).message}`,
      );
    }
    return asMap(value, relative);
  }

  /** The names of the `*.yaml` files directly in `dir`, sorted. */
  async yamlNames(dir: string): Promise<string[]> {
    const entries = await readdir(this.path(dir), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
      .map((entry) => entry.name.slice(0, -'.yaml'.length))
      .sort();
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
