// The global config directory OpenCode is started with: a fresh one is given what makes OpenCode
// skip its npm install, one with an install of its own is left alone. That OpenCode then reaches
// for no registry is shown with the real CLI by wrap-main.test.ts.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCodeConfigDir, skipOpenCodeDependencyInstall } from './opencode-dependencies.ts';

describe('skipOpenCodeDependencyInstall', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-opencode-deps-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a fresh config directory node_modules and a lockfile naming the plugin package', async () => {
    const home = join(dir, 'fresh');
    await skipOpenCodeDependencyInstall({ HOME: home });
    const config = join(home, '.config', 'opencode');
    assert.deepEqual((await readdir(config)).sort(), ['node_modules', 'package-lock.json']);
    const lock = JSON.parse(await readFile(join(config, 'package-lock.json'), 'utf8'));
    assert.deepEqual(Object.keys(lock.packages[''].dependencies), ['@opencode-ai/plugin']);
    // Again (an interactive run's next process): nothing changes, nothing fails.
    await skipOpenCodeDependencyInstall({ HOME: home });
    assert.deepEqual((await readdir(config)).sort(), ['node_modules', 'package-lock.json']);
  });

  it('leaves a directory with a package.json of its own alone', async () => {
    const home = join(dir, 'own');
    const config = join(home, '.config', 'opencode');
    await mkdir(config, { recursive: true });
    await writeFile(join(config, 'package.json'), '{"dependencies":{"left-pad":"1.3.0"}}\n');
    await skipOpenCodeDependencyInstall({ HOME: home });
    assert.deepEqual(await readdir(config), ['package.json']);
  });

  it('follows XDG_CONFIG_HOME, as OpenCode does', async () => {
    const env = { HOME: join(dir, 'xdg-home'), XDG_CONFIG_HOME: join(dir, 'xdg') };
    assert.equal(openCodeConfigDir(env), join(dir, 'xdg', 'opencode'));
    await skipOpenCodeDependencyInstall(env);
    assert.deepEqual((await readdir(join(dir, 'xdg', 'opencode'))).sort(), [
      'node_modules',
      'package-lock.json',
    ]);
  });
});
