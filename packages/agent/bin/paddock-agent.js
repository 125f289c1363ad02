#!/usr/bin/env node
// Entry shim: Paddock needs Node >= 24 (it runs its TypeScript sources directly). Under an older
// Node, re-run with the Node that scripts/setup.sh provisioned, if there is one.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'src', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  await import(main);
} else {
  const root = join(here, '..', '..', '..');
  const version = readFileSync(join(root, '.node-version'), 'utf8').trim();
  const cache =
    process.env.PADDOCK_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'paddock');
  const node = join(cache, `node-v${version}`, 'bin', 'node');
  if (!existsSync(node)) {
    process.stderr.write(
      `paddock-agent: Node.js ${process.versions.node} is too old (need >= 24); run scripts/setup.sh\n`,
    );
    process.exit(1);
  }
  const result = spawnSync(node, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
