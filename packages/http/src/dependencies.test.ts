// @paddock/http sits at the bottom of the layers, beside core: it imports Node.js built-ins and
// its own files, nothing else, so every package and app may use it. Its tests may also use
// @paddock/testkit (a devDependency, never loaded by a user of this package).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const SRC = import.meta.dirname;
const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]/gm;

const TEST_ONLY = '@paddock/testkit';

function foreignImports(source: string, isTest = false): string[] {
  return [...source.matchAll(IMPORT)]
    .map((match) => match[1] ?? match[2] ?? '')
    .filter((specifier) => !specifier.startsWith('node:') && !/^\.\/[\w.-]+\.ts$/.test(specifier))
    .filter((specifier) => !(isTest && specifier === TEST_ONLY));
}

describe('@paddock/http dependencies', () => {
  it('the check itself finds a package import and an import from outside the folder', () => {
    const source = "import { z } from 'zod';\nimport { a } from '../../core/src/a.ts';\n";
    assert.deepEqual(foreignImports(source), ['zod', '../../core/src/a.ts']);
    assert.deepEqual(foreignImports("import { request } from 'node:http';"), []);
    const testkit = "import { eventually } from '@paddock/testkit';";
    assert.deepEqual(foreignImports(testkit), [TEST_ONLY]);
    assert.deepEqual(foreignImports(testkit, true), []);
  });

  it('every file imports only node: built-ins and its own files (tests also the testkit)', () => {
    const files = readdirSync(SRC).filter((file) => file.endsWith('.ts'));
    const problems = files.flatMap((file) =>
      foreignImports(readFileSync(join(SRC, file), 'utf8'), file.endsWith('.test.ts')).map(
        (s) => `${file}: imports ${s}`,
      ),
    );
    assert.deepEqual(problems, []);
  });

  it('declares no dependencies (the testkit only for its tests)', () => {
    const manifest = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8'));
    assert.deepEqual(manifest.dependencies ?? {}, {});
    assert.deepEqual(Object.keys(manifest.devDependencies ?? {}), [TEST_ONLY]);
  });
});
