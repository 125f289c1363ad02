/**
 * OpenCode installs `@opencode-ai/plugin` (for the custom tools and plugins of a config directory)
 * into its global config directory every time it starts, in the background, with npm from the
 * registry: in a sandbox the egress refuses it, and OpenCode logs `background dependency install
 * failed`. It skips the install when the directory has a `node_modules` and a lockfile naming the
 * package. A fresh directory (every sandbox's) is given both, as OpenCode's own install would
 * leave it but without the package, which only plugins (none load: `OPENCODE_PURE`) and custom
 * tools import. A directory that has a `node_modules`, a `package.json` or a lockfile is left
 * alone: an image that installed the package there keeps it.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The package OpenCode 1.18 installs into each of its config directories. */
const PLUGIN_PACKAGE = '@opencode-ai/plugin';

/** An npm lockfile whose root depends on OpenCode's plugin package (all OpenCode checks). */
const LOCKFILE = {
  lockfileVersion: 3,
  requires: true,
  packages: { '': { dependencies: { [PLUGIN_PACKAGE]: '*' } } },
};

/** OpenCode's global config directory: `$XDG_CONFIG_HOME/opencode`, else `~/.config/opencode`. */
export function openCodeConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(configHome, 'opencode');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Makes OpenCode's global config directory for `env` one OpenCode does not install into (see
 * above). Best effort: a directory that cannot be written is left as it is, and OpenCode skips
 * the install into a directory it cannot write either.
 */
export async function skipOpenCodeDependencyInstall(
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const dir = openCodeConfigDir(env);
  const own = ['node_modules', 'package.json', 'package-lock.json'].map((name) => join(dir, name));
  if ((await Promise.all(own.map(exists))).some(Boolean)) return;
  try {
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify(LOCKFILE, null, 2)}\n`, {
      flag: 'wx',
    });
  } catch {
    // Not writable (or written meanwhile): OpenCode decides for itself.
  }
}
