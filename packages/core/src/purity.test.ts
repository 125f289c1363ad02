// packages/core is the pure domain: it imports nothing but zod and its own files, and it neither
// performs I/O nor reads ambient state (clock, randomness, environment).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const SRC = import.meta.dirname;
const ALLOWED_PACKAGES = new Set(['zod']);

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm;
const AMBIENT: Array<[RegExp, string]> = [
  [/\bprocess\s*\./, 'process'],
  [/\brequire\s*\(/, 'require()'],
  [/\bfetch\s*\(/, 'fetch()'],
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew Date\(\s*\)/, 'new Date() without an argument'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bcrypto\s*\./, 'crypto'],
  [/\bsetTimeout\s*\(|\bsetInterval\s*\(/, 'timers'],
];

/** Returns every impurity found in one source text. */
function impurities(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? '';
    const isRelative = specifier.startsWith('./');
    if (!isRelative && !ALLOWED_PACKAGES.has(specifier)) found.push(`imports "${specifier}"`);
  }
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  for (const [pattern, what] of AMBIENT) if (pattern.test(code)) found.push(`uses ${what}`);
  return found;
}

describe('packages/core purity', () => {
  it('detects a forbidden import and ambient state (the check itself works)', () => {
    assert.deepEqual(impurities("import { readFileSync } from 'node:fs';\nconst t = Date.now();"), [
      'imports "node:fs"',
      'uses Date.now()',
    ]);
    assert.deepEqual(impurities("export { x } from '../../store/x.ts';"), [
      'imports "../../store/x.ts"',
    ]);
    assert.deepEqual(impurities("import { z } from 'zod';\nimport { a } from './a.ts';"), []);
  });

  it('every source file imports only zod and its own files, and reads no ambient state', () => {
    const files = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(files.length > 5, 'expected the core sources');
    const problems = files.flatMap((file) =>
      impurities(readFileSync(join(SRC, file), 'utf8')).map((p) => `${file}: ${p}`),
    );
    assert.deepEqual(problems, []);
  });

  it('depends on zod alone', () => {
    const manifest = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}), ['zod']);
  });

  it('has no subdirectories escaping the check', () => {
    const dirs = readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory());
    assert.deepEqual(
      dirs.map((d) => d.name),
      [],
    );
  });
});
