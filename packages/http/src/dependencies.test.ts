// @paddock/http sits at the bottom of the layers, beside core: it imports Node.js built-ins and
// its own files, nothing else, so every package and app may use it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const SRC = import.meta.dirname;
const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]/gm;

function foreignImports(source: string): string[] {
  return [...source.matchAll(IMPORT)]
    .map((match) => match[1] ?? match[2] ?? '')
    .filter((specifier) => !specifier.startsWith('node:') && !/^\.\/[\w.-]+\.ts$/.test(specifier));
}

describe('@paddock/http dependencies', () => {
  it('the check itself finds a package import and an import from outside the folder', () => {
    const source = "import { z } from 'zod';\nimport { a } from '../../core/src/a.ts';\n";
    assert.deepEqual(foreignImports(source), ['zod', '../../core/src/a.ts']);
    assert.deepEqual(foreignImports("import { request } from 'node:http';"), []);
  });

  it('every file imports only node: built-ins and its own files', () => {
    const files = readdirSync(SRC).filter((file) => file.endsWith('.ts'));
    const problems = files.flatMap((file) =>
      foreignImports(readFileSync(join(SRC, file), 'utf8')).map((s) => `${file}: imports ${s}`),
    );
    assert.deepEqual(problems, []);
  });

  it('declares no dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8'));
    assert.deepEqual(manifest.dependencies ?? {}, {});
    assert.deepEqual(manifest.devDependencies ?? {}, {});
  });
});
