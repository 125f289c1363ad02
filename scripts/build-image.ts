/**
 * `node scripts/build-image.ts --rootfs DIR`: the file tree of Paddock's image
 * (`image/Containerfile`) assembled without a container engine, to check what the image holds
 * and run it in a bubblewrap namespace (`test/image/image.test.ts`). It reads the Containerfile
 * and does what its instructions do, each from what this checkout already has:
 * - the base image: the Node.js binary running this script at `/usr/local/bin/node`, the
 *   `nonroot` user (65532) in `/etc/passwd`; its Debian `/usr` is left to the caller to mount;
 * - `npm ci --omit=dev`: the lock file's non-development packages, hard-linked from this
 *   checkout's node_modules (every workspace linked, as npm does);
 * - the `case "${AGENT_CLIS}"` that leaves agent CLIs out: its arm for the value asked for
 *   (`--agent-clis`, else the ARG's default), removing what it names;
 * - the web stage: the web UI that set-up built (`apps/web/dist`);
 * - each `COPY` of the build context: the files the ignore file lets through;
 * - `ln -s`: the same link.
 * A `RUN` it does not know fails the build, so the Containerfile cannot drift from it unseen.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  globSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type Containerfile,
  contextFilter,
  type Instruction,
  parseContainerfile,
  type Stage,
} from './containerfile.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CONTAINERFILE = 'image/Containerfile';
/** Where the application is in the image; `paddock` on PATH links to its CLI. */
export const APP_DIR = '/opt/paddock/app';
/** The image's user (`paddock install` runs its Deployments as this uid and gid). */
export const IMAGE_UID = 65532;

/** Bytes of each part of the tree (files counted once however many links they have). */
export type ImageSize = {
  node: number;
  dependencies: number;
  application: number;
  webUi: number;
  total: number;
  files: number;
};

type LockEntry = {
  link?: boolean;
  resolved?: string;
  dev?: boolean;
  optional?: boolean;
};

export type AssembleOptions = {
  /** The checkout to assemble from (this one by default). */
  repo?: string;
  /** The build argument `AGENT_CLIS` (`all`, `claude-code`, `none`); the ARG's default if unset. */
  agentClis?: string;
};

/** Assembles the image's tree under `out` (created; must be empty or absent). */
export function assembleRootfs(out: string, options: AssembleOptions = {}): ImageSize {
  const repo = options.repo ?? REPO_ROOT;
  const file = parseContainerfile(readFileSync(join(repo, CONTAINERFILE), 'utf8'));
  const agentClis = options.agentClis ?? file.globalArgs.AGENT_CLIS ?? '';
  const removals = agentCliRemovals(file);
  if (!removals.has(agentClis)) {
    throw new Error(`AGENT_CLIS must be ${[...removals.keys()].join(', ')}, not ${agentClis}`);
  }
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty`);
  baseLayer(out);
  const isIgnored = contextFilter(repo);
  const workdirs = new Map<string, string>();
  for (const current of file.stages) {
    let workdir = workdirs.get(current.from) ?? '/';
    if (current.name === 'web') {
      webStage(current, repo);
    } else {
      for (const step of current.instructions) {
        if (step.op === 'WORKDIR') workdir = step.args[0] ?? '/';
        else if (step.op === 'COPY') copy(step, { out, repo, workdir, isIgnored });
        else if (step.op === 'RUN') run(step, { out, repo, workdir, agentClis });
      }
    }
    workdirs.set(current.name, workdir);
  }
  return measure(out);
}

/** What the node image gives, and the final stage's user. */
function baseLayer(out: string): void {
  // Mount points of the Debian base the caller binds, and of the container runtime.
  for (const dir of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64', 'usr/share', 'etc']) {
    mkdirSync(join(out, dir), { recursive: true });
  }
  for (const dir of ['proc', 'dev', 'sys', 'tmp', 'var/tmp', 'home/nonroot', 'usr/local/bin']) {
    mkdirSync(join(out, dir), { recursive: true });
  }
  for (const top of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${top}`, join(out, top));
  chmodSync(join(out, 'tmp'), 0o1777);
  linkOrCopy(process.execPath, join(out, 'usr/local/bin/node'));
  writeFileSync(
    join(out, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/bash\nnonroot:x:65532:65532::/home/nonroot:/usr/sbin/nologin\n',
  );
  writeFileSync(join(out, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
}

/** The web stage builds `apps/web/dist`; set-up built it here. */
function webStage(web: Stage, repo: string): void {
  const build = web.instructions.at(-1);
  if (build?.op !== 'RUN' || build.text !== 'npm run build') {
    throw new Error(`${CONTAINERFILE}: the web stage must end in RUN npm run build`);
  }
  if (!existsSync(join(repo, 'apps/web/dist/index.html'))) {
    throw new Error('apps/web/dist is missing: run scripts/setup.sh (or npm run build) first');
  }
}

type Place = { out: string; repo: string; workdir: string; isIgnored: (rel: string) => boolean };

function copy(step: Instruction, place: Place): void {
  const sources = step.args.slice(0, -1);
  const target = step.args.at(-1) ?? '';
  const dest = target.startsWith('/') ? target : join(place.workdir, target);
  const from = step.flags.from;
  for (const source of sources) {
    let path: string;
    if (from === undefined) {
      path = join(place.repo, source);
      if (place.isIgnored(source.replace(/\/+$/, ''))) {
        throw new Error(`${CONTAINERFILE}:${step.line}: ${source} is left out by .dockerignore`);
      }
    } else if (from === 'web') {
      // The web stage's files are this checkout's, at the same place below its workdir.
      path = join(place.repo, relative(APP_DIR, source));
    } else if (from === 'app' && source.replace(/\/+$/, '') === dest.replace(/\/+$/, '')) {
      continue; // Assembled in place already.
    } else {
      throw new Error(`${CONTAINERFILE}:${step.line}: COPY --from=${from} is not assembled`);
    }
    if (!existsSync(path)) throw new Error(`${CONTAINERFILE}:${step.line}: no ${source}`);
    const into = join(place.out, dest);
    if (statSync(path).isDirectory()) {
      copyTree(path, into, from === undefined ? source : undefined, place.isIgnored);
    } else {
      const to = target.endsWith('/') ? join(into, basename(path)) : into;
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(path, to);
    }
  }
}

/** The contents of `from` into `to`, leaving out what the ignore file does (context copies). */
function copyTree(
  from: string,
  to: string,
  contextPath: string | undefined,
  isIgnored: (rel: string) => boolean,
): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const rel = contextPath === undefined ? undefined : join(contextPath, entry.name);
    if (rel !== undefined && isIgnored(rel)) continue;
    const source = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, dest, rel, isIgnored);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), dest);
    else copyFileSync(source, dest);
  }
}

/**
 * What the Containerfile's `case "${AGENT_CLIS}"` removes for each value it takes: the paths
 * (globs, relative to its stage's workdir) of its `rm -rf`, none for `all`. Its `*)` arm, which
 * refuses any other value, is left out.
 */
export function agentCliRemovals(file: Containerfile): Map<string, string[]> {
  for (const step of file.stages.flatMap((s) => s.instructions)) {
    const removals = step.op === 'RUN' ? caseArms(step.text) : undefined;
    if (removals !== undefined) return removals;
  }
  throw new Error(`${CONTAINERFILE}: no RUN case "\${AGENT_CLIS}" in … esac`);
}

/** The values the Containerfile's `AGENT_CLIS` may take (`all` first). */
export function agentCliValues(repo: string = REPO_ROOT): string[] {
  const file = parseContainerfile(readFileSync(join(repo, CONTAINERFILE), 'utf8'));
  return [...agentCliRemovals(file).keys()];
}

/** The arms of a `RUN case "${AGENT_CLIS}" in … esac`; undefined for another `RUN`. */
function caseArms(text: string): Map<string, string[]> | undefined {
  const body = /^case "\$\{AGENT_CLIS\}" in (.*) esac$/.exec(text)?.[1];
  if (body === undefined) return undefined;
  const removals = new Map<string, string[]>();
  for (const arm of body.split(';;')) {
    const parsed = /^([\w-]+)\)\s*(?:rm -rf (.+))?$/.exec(arm.trim());
    if (parsed === null) continue;
    removals.set(
      parsed[1] ?? '',
      (parsed[2] ?? '').split(/\s+/).filter((p) => p !== ''),
    );
  }
  return removals;
}

/** The `RUN`s of the Containerfile, each done here or refused. */
function run(step: Instruction, place: Omit<Place, 'isIgnored'> & { agentClis: string }): void {
  const text = step.text;
  const link = /^ln -s (\S+) (\S+)$/.exec(text);
  const removals = caseArms(text);
  if (/(^| )npm ci --omit=dev /.test(text)) {
    productionModules(place.repo, join(place.out, place.workdir));
  } else if (removals !== undefined) {
    // Only unlinks: the tree's files are hard links to this checkout's.
    const at = join(place.out, place.workdir);
    for (const path of globSync(removals.get(place.agentClis) ?? [], { cwd: at })) {
      rmSync(join(at, path), { recursive: true, force: true });
    }
  } else if (text === `chmod -R a+rX,go-w ${APP_DIR}`) {
    // Sources were copied: made readable by all, writable by none but their owner. The
    // dependencies are links to this checkout's files, whose modes npm set (the test checks).
    chmodTree(join(place.out, APP_DIR));
  } else if (text.startsWith('rm -rf /usr/local/lib/node_modules ') && text.includes('useradd')) {
    // Done by baseLayer: no npm in the tree, and the nonroot user.
  } else if (link !== null) {
    symlinkSync(link[1] ?? '', join(place.out, link[2] ?? ''));
  } else {
    throw new Error(`${CONTAINERFILE}:${step.line}: RUN ${text}: unknown to build-image.ts`);
  }
}

/** `npm ci --omit=dev`: the lock file's packages that are not development-only. */
function productionModules(repo: string, app: string): void {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.includes('node_modules/') || entry.dev === true) continue;
    const dest = join(app, key);
    if (entry.link === true) {
      mkdirSync(dirname(dest), { recursive: true });
      symlinkSync(relative(dirname(dest), join(app, entry.resolved ?? '')), dest);
      continue;
    }
    const source = join(repo, key);
    if (!existsSync(source)) {
      // Optional packages of another platform are not installed here, nor in the image.
      if (entry.optional === true) continue;
      throw new Error(`${key} is not installed: run scripts/setup.sh first`);
    }
    linkTree(source, dest);
  }
}

/** Hard links of a package's files; its nested node_modules are packages of their own. */
function linkTree(from: string, to: string, isPackageRoot = true): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (isPackageRoot && entry.name === 'node_modules') continue;
    const source = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, dest, false);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), dest);
    else linkOrCopy(source, dest);
  }
}

function linkOrCopy(source: string, dest: string): void {
  try {
    linkSync(source, dest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    copyFileSync(source, dest);
  }
}

function chmodTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const stat = lstatSync(path);
    if (stat.nlink > 1 && !entry.isDirectory()) continue; // A dependency's link: not ours.
    const isExecutable = entry.isDirectory() || (stat.mode & 0o111) !== 0;
    chmodSync(path, (stat.mode & 0o755) | 0o444 | (isExecutable ? 0o111 : 0));
    if (entry.isDirectory()) chmodTree(path);
  }
}

function measure(out: string): ImageSize {
  const size: ImageSize = {
    node: 0,
    dependencies: 0,
    application: 0,
    webUi: 0,
    total: 0,
    files: 0,
  };
  const seen = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const stat = lstatSync(path);
      const inode = `${stat.dev}:${stat.ino}`;
      if (seen.has(inode)) continue;
      seen.add(inode);
      const rel = relative(out, path);
      const app = relative(APP_DIR.slice(1), rel);
      size.files++;
      size.total += stat.size;
      if (rel === 'usr/local/bin/node') size.node += stat.size;
      else if (app.startsWith('node_modules/')) size.dependencies += stat.size;
      else if (app.startsWith('apps/web/dist/')) size.webUi += stat.size;
      else if (!app.startsWith('..')) size.application += stat.size;
    }
  };
  walk(out);
  return size;
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { rootfs: { type: 'string' }, 'agent-clis': { type: 'string' } },
    strict: true,
  });
  const agentClis = values['agent-clis'];
  const known = agentCliValues();
  if (values.rootfs === undefined) {
    process.stderr.write(
      `usage: node scripts/build-image.ts --rootfs DIR [--agent-clis ${known.join('|')}]\n`,
    );
    process.exitCode = 2;
  } else if (agentClis !== undefined && !known.includes(agentClis)) {
    process.stderr.write(`--agent-clis: must be ${known.join(', ')}, not ${agentClis}\n`);
    process.exitCode = 2;
  } else {
    const size = assembleRootfs(values.rootfs, agentClis === undefined ? {} : { agentClis });
    const parts = (['node', 'dependencies', 'application', 'webUi'] as const)
      .map((part) => `${part} ${mebibytes(size[part])}`)
      .join(', ');
    process.stdout.write(
      `assembled ${CONTAINERFILE} into ${values.rootfs}: ${size.files} files, ${mebibytes(size.total)} (${parts})\n`,
    );
  }
}
