// The history of one app in the GitOps repository, behind `paddock app diff` and `paddock app
// rollback`: the commits that changed the app's files, the unified diff of those files between
// two revisions (or against the work tree), and a rollback that restores them to an earlier
// commit as exactly one new commit. Only the app's own files are touched, so a rollback of one
// app never undoes what the same commit did to another (`catalog: enable litellm (+ postgresql)`).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { type CommandRunner, type GitAuthor, runGit } from './command-runner.ts';
import {
  appCoordinatesFile,
  appValuesFile,
  catalogFile,
  catalogValuesFile,
  infraFile,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
} from './layout.ts';

/** An app of the repository: a custom app (`apps/…`) or a catalog entry (`catalog/…`, `infra/…`). */
export type AppRef = { kind: 'app' | 'catalog'; name: string };

/** A commit that changed an app's files. */
export type AppChange = { sha: string; shortSha: string; subject: string; date: string };

/** What a rollback did: its commit and the earlier commit whose state of the app it restored. */
export type RollbackResult = {
  message: string;
  sha: string;
  to: AppChange;
  /** The app's files the commit changed, sorted. */
  files: string[];
};

/** Sees the files a rollback to `to` would restore (undefined: removed); throws to refuse it. */
export type RollbackCheck = (
  restored: ReadonlyMap<string, string | undefined>,
  to: AppChange,
) => void | Promise<void>;

export type AppHistoryOptions = {
  /** The repository's folder. */
  dir: string;
  /** Runs git (the cluster runner's `tryRun` fits). */
  runner: CommandRunner;
  author?: GitAuthor;
};

/** The files that make up an app's desired state, in the order they are shown. */
export function appPaths(app: AppRef): string[] {
  checkName(app.name);
  return app.kind === 'app'
    ? [appCoordinatesFile(app.name), appValuesFile(app.name)]
    : [catalogFile(app.name), catalogValuesFile(app.name), infraFile(app.name)];
}

const describeApp = (app: AppRef): string =>
  app.kind === 'app' ? `app ${app.name}` : `catalog entry ${app.name}`;

export class AppHistory {
  readonly dir: string;
  readonly #runner: CommandRunner;
  readonly #author: GitAuthor | undefined;

  constructor(options: AppHistoryOptions) {
    this.dir = options.dir;
    this.#runner = options.runner;
    this.#author = options.author;
  }

  /** The commits that changed the app's files, newest first (at most `limit`). */
  async history(app: AppRef, limit = 100): Promise<AppChange[]> {
    const paths = appPaths(app);
    const { stdout } = await this.#git([
      'log',
      `--max-count=${limit}`,
      '--format=%H%x09%h%x09%cI%x09%s',
      'HEAD',
      '--',
      ...paths,
    ]);
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [sha = '', shortSha = '', date = '', ...subject] = line.split('\t');
        return { sha, shortSha, date, subject: subject.join('\t') };
      });
  }

  /** The commit `rev` names (a sha, a prefix of one, `HEAD~2`, a tag), or `not_found`. */
  async resolve(rev: string): Promise<AppChange> {
    if (rev.startsWith('-')) throw unknownRevision(rev);
    const { stdout, exitCode } = await this.#git(
      ['log', '-1', '--format=%H%x09%h%x09%cI%x09%s', `${rev}^{commit}`, '--'],
      { allowFailure: true },
    );
    const [sha = '', shortSha = '', date = '', ...subject] = stdout.trim().split('\t');
    if (exitCode !== 0 || sha === '') throw unknownRevision(rev);
    return { sha, shortSha, date, subject: subject.join('\t') };
  }

  /** Whether the repository holds the commit `rev` (Argo CD's synced revision may be unknown here). */
  async hasCommit(rev: string): Promise<boolean> {
    if (rev.startsWith('-') || rev === '') return false;
    const { exitCode } = await this.#git(['cat-file', '-e', `${rev}^{commit}`], {
      allowFailure: true,
    });
    return exitCode === 0;
  }

  /**
   * The unified diff of the app's files from `fromRev` to `toRev`, or to the work tree (with
   * files not yet added to git) when `toRev` is undefined. Empty when nothing differs.
   */
  async diff(app: AppRef, fromRev: string, toRev?: string): Promise<string> {
    const paths = appPaths(app);
    const from = (await this.resolve(fromRev)).sha;
    const to = toRev === undefined ? [] : [(await this.resolve(toRev)).sha];
    const tracked = await this.#git([
      'diff',
      '--no-color',
      '--no-ext-diff',
      from,
      ...to,
      '--',
      ...paths,
    ]);
    if (toRev !== undefined) return tracked.stdout;
    const untracked = await this.untracked(app);
    let out = tracked.stdout;
    for (const path of untracked) {
      // Exit code 1 means "they differ", as always for a new file.
      const added = await this.#git(
        ['diff', '--no-color', '--no-ext-diff', '--no-index', '--', '/dev/null', path],
        { allowFailure: true },
      );
      if (added.exitCode > 1) {
        throw new PaddockError(
          ErrorCode.Internal,
          `git diff of ${path} failed: ${added.stderr.trim()}`,
        );
      }
      out += added.stdout;
    }
    return out;
  }

  /** `git status --porcelain` lines of the app's files: edits not committed yet. */
  async uncommitted(app: AppRef): Promise<string[]> {
    const { stdout } = await this.#git([
      'status',
      '--porcelain',
      '--untracked-files=all',
      '--',
      ...appPaths(app),
    ]);
    return stdout.split('\n').filter((line) => line !== '');
  }

  /** The app's files not yet added to git. */
  async untracked(app: AppRef): Promise<string[]> {
    const { stdout } = await this.#git([
      'ls-files',
      '--others',
      '--exclude-standard',
      '--',
      ...appPaths(app),
    ]);
    return stdout.split('\n').filter((line) => line !== '');
  }

  /**
   * Restores the app's files to their state at `rev` (default: the app's change before its last
   * one, i.e. undoes its last change) as exactly one commit:
   * `apps: roll back my-api to 1a2b3c4 (apps: set values of my-api)` (`catalog:` for a catalog
   * entry). Refused when the work tree has uncommitted changes, when the app has no earlier state
   * (at most one change, or none of its files at `rev`) and when its files at `rev` are those of
   * HEAD already. `check` sees the files as the rollback would restore them (path → content,
   * undefined for a file it removes) before anything is written, and refuses by throwing.
   */
  async revert(
    app: AppRef,
    rev?: string,
    options: { check?: RollbackCheck } = {},
  ): Promise<RollbackResult> {
    const paths = appPaths(app);
    await this.#requireClean();
    const what = describeApp(app);
    let to: AppChange;
    if (rev === undefined) {
      const changes = await this.history(app, 2);
      const earlier = changes[1];
      if (earlier === undefined) {
        throw new PaddockError(
          ErrorCode.Conflict,
          changes.length === 0
            ? `${what} has no history in the GitOps repository: nothing to roll back`
            : `${what} has no earlier state: its only change is ${changes[0]?.shortSha} (${changes[0]?.subject})`,
          { name: app.name, hint: `paddock app rollback ${app.name} --to REV names a commit` },
        );
      }
      to = earlier;
    } else {
      to = await this.resolve(rev);
    }
    const contents = await Promise.all(paths.map((path) => this.#show(to.sha, path)));
    if (contents.every((content) => content === undefined)) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `${what} has no earlier state at ${to.shortSha} (${to.subject}): none of its files existed then`,
        { name: app.name, files: paths },
      );
    }
    await options.check?.(new Map(paths.map((path, i) => [path, contents[i]])), to);
    for (const [index, path] of paths.entries()) {
      const file = join(this.dir, path);
      const content = contents[index];
      if (content === undefined) {
        await rm(file, { force: true });
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    }
    // A path neither there now nor in HEAD would fail `git add` (a pathspec matching nothing).
    const head = await Promise.all(paths.map((path) => this.#show('HEAD', path)));
    const touched = paths.filter((_, i) => contents[i] !== undefined || head[i] !== undefined);
    await this.#git(['add', '--all', '--', ...touched]);
    const files = (await this.#git(['diff', '--cached', '--name-only', '--', ...paths])).stdout
      .split('\n')
      .filter((line) => line !== '')
      .sort();
    if (files.length === 0) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `${what} is at the state of ${to.shortSha} (${to.subject}) already: nothing to roll back`,
        { name: app.name },
      );
    }
    const prefix = app.kind === 'app' ? 'apps' : 'catalog';
    const message = `${prefix}: roll back ${app.name} to ${to.shortSha} (${to.subject})`;
    await this.#git(['commit', '--quiet', '--no-verify', '-m', message]);
    const sha = (await this.#git(['rev-parse', 'HEAD'])).stdout.trim();
    return { message, sha, to, files };
  }

  /** A file's bytes at a commit, or undefined when it did not exist there. */
  async #show(sha: string, path: string): Promise<string | undefined> {
    const exists = await this.#git(['cat-file', '-e', `${sha}:${path}`], { allowFailure: true });
    if (exists.exitCode !== 0) return undefined;
    return (await this.#git(['show', `${sha}:${path}`])).stdout;
  }

  async #requireClean(): Promise<void> {
    const { stdout } = await this.#git(['status', '--porcelain', '--untracked-files=all']);
    if (stdout.trim() !== '') {
      throw new PaddockError(
        ErrorCode.Conflict,
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
}

function unknownRevision(rev: string): PaddockError {
  return new PaddockError(
    ErrorCode.NotFound,
    `no commit ${JSON.stringify(rev)} in the GitOps repository`,
    {
      rev,
      hint: 'git log in the repository (or paddock app rollback NAME without --to) lists them',
    },
  );
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name) || name.length > NAME_MAX_LENGTH) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `app name ${JSON.stringify(name)} must be a DNS-1123 label`,
    );
  }
}
