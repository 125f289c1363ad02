// Snapshots of a cluster's declared state: its session file and its GitOps repository (a git
// bundle of every ref), kept under `<cluster dir>/snapshots/<name>/`. Restoring writes the
// session file back byte for byte and puts the repository at the captured commit, its work tree
// identical to the captured one.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PaddockError } from '@paddock/core';
import { z } from 'zod';
import { type CommandRunner, type GitAuthor, runGit } from './command-runner.ts';

export const SNAPSHOT_NAME_PATTERN = /^[a-z0-9]([-a-z0-9._]{0,61}[a-z0-9])?$/;

const SnapshotManifest = z.object({
  name: z.string(),
  createdAt: z.string(),
  /** The repository's HEAD commit and branch when captured. */
  head: z.string().regex(/^[0-9a-f]{40,64}$/),
  branch: z.string().min(1),
  /** sha256 of the session file, checked before a restore writes it back. */
  sessionSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type SnapshotInfo = z.infer<typeof SnapshotManifest>;

export type SnapshotsOptions = {
  /** `$PADDOCK_HOME/clusters/<name>`: holds `session.yaml`, `gitops/` and `snapshots/`. */
  clusterDir: string;
  runner: CommandRunner;
  /** The session file's name in `clusterDir` (default `session.yaml`). */
  sessionFile?: string;
  /** The repository's folder name in `clusterDir` (default `gitops`). */
  repoDir?: string;
  now?: () => Date;
  author?: GitAuthor;
};

const SESSION = 'session.yaml';
const BUNDLE = 'gitops.bundle';
const MANIFEST = 'snapshot.json';

export class Snapshots {
  readonly #options: SnapshotsOptions;

  constructor(options: SnapshotsOptions) {
    this.#options = options;
  }

  get #root(): string {
    return join(this.#options.clusterDir, 'snapshots');
  }
  get #sessionPath(): string {
    return join(this.#options.clusterDir, this.#options.sessionFile ?? SESSION);
  }
  get #repoPath(): string {
    return join(this.#options.clusterDir, this.#options.repoDir ?? 'gitops');
  }

  /** Captures the session file and the repository as snapshot `name` (which must be new). */
  async capture(name: string): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    const dir = join(this.#root, name);
    if (existsSync(dir))
      throw new PaddockError('already_exists', `snapshot ${name} exists already`, { name });
    const session = await readFile(this.#sessionPath).catch(() => {
      throw new PaddockError('not_found', `no session file ${this.#sessionPath} to capture`);
    });
    const status = await this.#git(['status', '--porcelain', '--untracked-files=all']);
    if (status.stdout.trim() !== '') {
      throw new PaddockError(
        'conflict',
        'the GitOps repository has uncommitted changes: commit or discard them first',
      );
    }
    const head = (await this.#git(['rev-parse', 'HEAD'])).stdout.trim();
    const branch = (await this.#git(['symbolic-ref', '--short', 'HEAD'])).stdout.trim();
    // Written in a temporary folder and renamed, so a snapshot is whole or absent.
    const partial = join(this.#root, `.${name}.partial`);
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    try {
      await writeFile(join(partial, SESSION), session);
      await this.#git(['bundle', 'create', '--quiet', join(partial, BUNDLE), '--all']);
      const info: SnapshotInfo = {
        name,
        createdAt: (this.#options.now?.() ?? new Date()).toISOString(),
        head,
        branch,
        sessionSha256: sha256(session),
      };
      await writeFile(join(partial, MANIFEST), `${JSON.stringify(info, null, 2)}\n`);
      await rename(partial, dir);
      return info;
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
  }

  /** The snapshots, oldest first. */
  async list(): Promise<SnapshotInfo[]> {
    const entries = await readdir(this.#root, { withFileTypes: true }).catch(() => []);
    const infos: SnapshotInfo[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      infos.push(await this.#read(entry.name));
    }
    return infos.sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name),
    );
  }

  /**
   * Restores snapshot `name`: the session file byte for byte, and the repository at the captured
   * commit on the captured branch, its work tree reset to that commit (a repository that is gone
   * is created again). Commits made since stay reachable in the reflog, not on the branch.
   */
  async restore(name: string): Promise<SnapshotInfo> {
    const info = await this.#read(name);
    const dir = join(this.#root, name);
    const session = await readFile(join(dir, SESSION));
    if (sha256(session) !== info.sessionSha256) {
      throw new PaddockError(
        'internal',
        `snapshot ${name} is damaged: its session file does not match its checksum`,
      );
    }
    const bundle = join(dir, BUNDLE);
    if (!existsSync(join(this.#repoPath, '.git'))) {
      await mkdir(this.#repoPath, { recursive: true });
      await this.#git(['init', '--quiet', `--initial-branch=${info.branch}`]);
    }
    await this.#git([
      'fetch',
      '--quiet',
      '--no-tags',
      bundle,
      `+refs/*:refs/paddock-snapshot/${name}/*`,
    ]);
    await this.#git(['checkout', '--quiet', '--force', '-B', info.branch, info.head]);
    await this.#git(['clean', '--quiet', '-ffdx']);
    await this.#git(['for-each-ref', '--format=%(refname)', `refs/paddock-snapshot/${name}/`]).then(
      async (refs) => {
        for (const ref of refs.stdout.split('\n').filter((line) => line !== '')) {
          await this.#git(['update-ref', '-d', ref]);
        }
      },
    );
    const tmp = `${this.#sessionPath}.restore-${process.pid}`;
    await writeFile(tmp, session);
    await rename(tmp, this.#sessionPath);
    return info;
  }

  async delete(name: string): Promise<void> {
    await this.#read(name);
    await rm(join(this.#root, name), { recursive: true, force: true });
  }

  async #read(name: string): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    const text = await readFile(join(this.#root, name, MANIFEST), 'utf8').catch(() => {
      throw new PaddockError('not_found', `no snapshot ${name}`, { name });
    });
    return SnapshotManifest.parse(JSON.parse(text));
  }

  #git(args: readonly string[], options: { cwd?: string } = {}) {
    return runGit(this.#options.runner, options.cwd ?? this.#repoPath, args, {
      ...(this.#options.author === undefined ? {} : { author: this.#options.author }),
    });
  }
}

function checkSnapshotName(name: string): void {
  if (!SNAPSHOT_NAME_PATTERN.test(name)) {
    throw new PaddockError(
      'validation_failed',
      `snapshot name ${JSON.stringify(name)} must be lowercase letters, digits, '-', '_' or '.' (at most 63)`,
    );
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
