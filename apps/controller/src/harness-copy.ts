/**
 * `paddock controller copy-harness --to DIR [--clis claude-code,codex,opencode]`: what the init
 * container of a sandbox pod runs, in Paddock's own image, to give the sandbox the run harness
 * (`packages/kube/src/objects/harness.ts`). It copies this process's Node.js binary and
 * `@paddock/agent` with the packages it loads — its dependency closure, resolved as Node resolves
 * it, with the external CLIs asked for and no other — into DIR in `HARNESS_LAYOUT`: workspace
 * packages under `app/packages` (Node strips TypeScript types only outside `node_modules`),
 * every other package under `app/node_modules` at its place in this installation.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ErrorCode, PaddockError } from '@paddock/core';
import { HARNESS_LAYOUT, HarnessCli } from '@paddock/kube';

/** The npm package of each external CLI (dependencies of `@paddock/agent`). */
const CLI_PACKAGES: Record<HarnessCli, string> = {
  [HarnessCli.ClaudeCode]: '@anthropic-ai/claude-code',
  [HarnessCli.Codex]: '@openai/codex',
  [HarnessCli.OpenCode]: 'opencode-ai',
};

/** What was copied; `missing`: the CLIs asked for that this installation lacks (not copied). */
export type HarnessCopy = { files: number; bytes: number; packages: number; missing: HarnessCli[] };

/** One package of the closure: where it is here, and where it goes under the harness's root. */
type Found = { dir: string; dest: string; link?: string };

/** `--to` and `--clis` from the command line; `validation_failed` naming the flag. */
export function parseCopyArgs(argv: readonly string[]): { to: string; clis: HarnessCli[] } {
  let values: { to?: string; clis?: string };
  try {
    values = parseArgs({
      args: [...argv],
      options: { to: { type: 'string' }, clis: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    throw new PaddockError(ErrorCode.ValidationFailed, (error as Error).message);
  }
  const issues: Array<{ path: string; message: string }> = [];
  if (values.to === undefined || !values.to.startsWith('/')) {
    issues.push({ path: '--to', message: 'must be an absolute directory' });
  }
  const known = new Set<string>(Object.values(HarnessCli));
  const clis = (values.clis ?? '').split(',').filter((c) => c !== '');
  for (const cli of clis) {
    if (!known.has(cli)) {
      issues.push({ path: '--clis', message: `${cli} is not one of ${[...known].join(', ')}` });
    }
  }
  if (issues.length > 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `copy-harness: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return { to: values.to ?? '', clis: clis as HarnessCli[] };
}

/** Copies the harness into `to` (created if absent). */
export function copyHarness(to: string, clis: readonly HarnessCli[]): HarnessCopy {
  const agentDir = dirname(dirname(fileURLToPath(import.meta.resolve('@paddock/agent'))));
  // packages/agent → the installation's root, holding packages/ and node_modules/.
  const root = dirname(dirname(realpathSync(agentDir)));
  const skipped = new Set(
    Object.values(HarnessCli)
      .filter((cli) => !clis.includes(cli))
      .map((cli) => CLI_PACKAGES[cli]),
  );
  const found = closure(root, realpathSync(agentDir), skipped);
  // An image built without a CLI (AGENT_CLIS) has no package for it: copied without it, said.
  const missing = clis.filter(
    (cli) =>
      !found.some((entry) => entry.dir.endsWith(`${sep}node_modules${sep}${CLI_PACKAGES[cli]}`)),
  );
  const count: HarnessCopy = { files: 0, bytes: 0, packages: found.length, missing };
  const nodeDest = join(to, HARNESS_LAYOUT.node);
  mkdirSync(dirname(nodeDest), { recursive: true });
  copyFileSync(process.execPath, nodeDest);
  chmodSync(nodeDest, 0o555);
  // A package inside another's directory (its nested node_modules) is copied with it.
  const tops = found.filter(
    (entry) =>
      !found.some((other) => other !== entry && entry.dir.startsWith(`${other.dir}${sep}`)),
  );
  for (const entry of tops) {
    const dest = join(to, entry.dest);
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(entry.dir, dest, { recursive: true, verbatimSymlinks: true });
  }
  for (const entry of found) {
    if (entry.link === undefined) continue;
    const link = join(to, entry.link);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(to, entry.dest)), link);
  }
  for (const file of readdirSync(to, { recursive: true, withFileTypes: true })) {
    if (!file.isFile()) continue;
    count.files++;
    count.bytes += lstatSync(join(file.parentPath, file.name)).size;
  }
  return count;
}

/** `@paddock/agent` and everything it depends on, resolved from where each package is. */
function closure(root: string, agentDir: string, skipped: ReadonlySet<string>): Found[] {
  const found = new Map<string, Found>();
  const queue = [agentDir];
  while (queue.length > 0) {
    const dir = queue.pop() ?? '';
    const real = realpathSync(dir);
    if (found.has(real)) continue;
    const within = relative(root, real);
    if (within.startsWith('..')) {
      throw new PaddockError(ErrorCode.Internal, `${real} is outside the installation ${root}`);
    }
    const isWorkspace = !within.split(sep).includes('node_modules');
    found.set(real, {
      dir: real,
      dest: isWorkspace
        ? join(HARNESS_LAYOUT.packages, relative(join(root, 'packages'), real))
        : join(dirname(HARNESS_LAYOUT.nodeModules), within),
      ...(isWorkspace && dir !== real
        ? { link: join(dirname(HARNESS_LAYOUT.nodeModules), relative(root, dir)) }
        : {}),
    });
    const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const names = Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    });
    for (const name of names) {
      if (skipped.has(name)) continue;
      // Resolution starts where the package is installed (a workspace package: where it lives).
      const at = resolvePackage(isWorkspace ? real : dir, name, root);
      if (at !== undefined) queue.push(at);
      else if (manifest.dependencies?.[name] !== undefined) {
        throw new PaddockError(ErrorCode.Internal, `${name}, needed by ${real}, is not installed`);
      }
    }
  }
  return [...found.values()];
}

/** Node's lookup: `node_modules/<name>` in `from` and each directory above it, up to `root`. */
function resolvePackage(from: string, name: string, root: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}
