// The layering of the repository, checked over every source file: apps never import each other,
// packages never import apps, a workspace imports only what its package.json declares (source
// files only its `dependencies`), no file reaches into another workspace by a relative path,
// the workspace graph has no cycle, and each package's index.ts names what it exports.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = /\.(ts|tsx|js|mjs)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'screenshots', 'results', '.git']);

type Workspace = {
  name: string;
  dir: string;
  isApp: boolean;
  dependencies: Set<string>;
  devDependencies: Set<string>;
};

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function keys(value: unknown): Set<string> {
  return new Set(Object.keys((value ?? {}) as Record<string, unknown>));
}

function workspaces(): Workspace[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(ROOT, group))
      .map((entry) => join(ROOT, group, entry))
      .filter((dir) => statSync(join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile())
      .map((dir) => {
        const manifest = readJson(join(dir, 'package.json'));
        return {
          name: String(manifest.name),
          dir,
          isApp: group === 'apps',
          dependencies: keys(manifest.dependencies),
          devDependencies: keys(manifest.devDependencies),
        };
      }),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED_DIRS.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|import\.meta\.resolve\(\s*['"]([^'"]+)['"]/gm;

/**
 * Every module a source text names: static and dynamic imports and re-exports, and the modules
 * it only resolves (`import.meta.resolve`: a path to run as another process, not code it loads).
 */
export function specifiersOf(source: string): Array<{ specifier: string; isLoaded: boolean }> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(SPECIFIER)].map((m) => ({
    specifier: m[1] ?? m[2] ?? m[3] ?? m[4] ?? '',
    isLoaded: m[4] === undefined,
  }));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Tests, their support files (stand-ins of services the tests cannot reach, too) and build
 * configuration may use devDependencies.
 */
const DEV_FILE =
  /\.test\.tsx?$|\.config\.ts$|(^|[-/])test-|[.-]fixtures?\.ts$|test-support|(^|\/)stand-in-/;
const isDevFile = (path: string) => DEV_FILE.test(relative(ROOT, path));

const BUILTINS = new Set(builtinModules);

/** The boundary problems of one file of `owner` (a workspace, or the root's test/ tree). */
function problemsOf(
  path: string,
  owner: Workspace | undefined,
  byName: ReadonlyMap<string, Workspace>,
): string[] {
  const where = relative(ROOT, path);
  const problems: string[] = [];
  for (const { specifier, isLoaded } of specifiersOf(readFileSync(path, 'utf8'))) {
    if (specifier.startsWith('node:') || BUILTINS.has(specifier)) continue;
    if (specifier.startsWith('.')) {
      const target = resolve(dirname(path), specifier);
      const home = owner?.dir ?? join(ROOT, 'test');
      if (owner !== undefined && !(target + sep).startsWith(home + sep)) {
        problems.push(`${where}: reaches outside its workspace with "${specifier}"`);
      }
      continue;
    }
    const name = packageOf(specifier);
    const target = byName.get(name);
    if (owner === undefined) continue; // the root's tests may use any workspace
    if (target?.isApp && target !== owner && isLoaded) {
      problems.push(`${where}: imports the app ${name}`);
    }
    if (target?.isApp && !owner.isApp) problems.push(`${where}: a package names the app ${name}`);
    if (name === owner.name) continue;
    const declared = isDevFile(path)
      ? owner.dependencies.has(name) || owner.devDependencies.has(name)
      : owner.dependencies.has(name);
    if (!declared) {
      const which = isDevFile(path) ? 'dependencies or devDependencies' : 'dependencies';
      problems.push(`${where}: imports "${name}", not in ${owner.name}'s ${which}`);
    }
  }
  return problems;
}

function cycleIn(byName: ReadonlyMap<string, Workspace>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const walk = (name: string, path: string[]): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    for (const next of byName.get(name)?.dependencies ?? []) {
      if (!byName.has(next)) continue;
      const found = walk(next, [...path, name]);
      if (found) return found;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of byName.keys()) {
    const found = walk(name, []);
    if (found) return found;
  }
  return undefined;
}

describe('repository boundaries', () => {
  const all = workspaces();
  const byName = new Map(all.map((w) => [w.name, w]));

  it('finds every kind of import (the check itself works)', () => {
    const text = [
      "import { a } from '@x/y';",
      "import type { B } from '../b.ts';",
      "export * from './c.ts';",
      "import 'side-effect';",
      "const d = await import('dynamic');",
      "const e = import.meta.resolve('@paddock/server/main');",
      "// import { no } from 'commented';",
    ].join('\n');
    assert.deepEqual(
      specifiersOf(text).map((s) => `${s.specifier}${s.isLoaded ? '' : ' (resolved)'}`),
      ['@x/y', '../b.ts', './c.ts', 'side-effect', 'dynamic', '@paddock/server/main (resolved)'],
    );
  });

  it('apps never import each other, packages never name apps, imports are declared', () => {
    const problems = [
      ...all.flatMap((w) => sourceFiles(w.dir).flatMap((f) => problemsOf(f, w, byName))),
      ...sourceFiles(join(ROOT, 'test')).flatMap((f) => problemsOf(f, undefined, byName)),
    ];
    assert.deepEqual(problems, []);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const node = (name: string, dependsOn: string): [string, Workspace] => [
      name,
      {
        name,
        dir: name,
        isApp: false,
        dependencies: new Set([dependsOn]),
        devDependencies: new Set(),
      },
    ];
    assert.deepEqual(cycleIn(new Map([node('a', 'b'), node('b', 'c'), node('c', 'a')])), [
      'a',
      'b',
      'c',
      'a',
    ]);
  });

  it('the workspace dependency graph has no cycle', () => {
    assert.equal(cycleIn(byName)?.join(' → '), undefined);
  });

  it("each package's index.ts names its exports (no export *)", () => {
    const problems = all
      .filter((w) => !w.isApp)
      .flatMap((w) => {
        const index = join(w.dir, 'src', 'index.ts');
        if (!statSync(index, { throwIfNoEntry: false })?.isFile()) return [];
        return /^\s*export\s+\*\s+from/m.test(readFileSync(index, 'utf8'))
          ? [`${relative(ROOT, index)} uses export *`]
          : [];
      });
    assert.deepEqual(problems, []);
  });
});
