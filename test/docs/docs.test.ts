// The examples in docs/*.md, run: every `paddock up` flag and variable of docs/server.md's
// settings table and every documented server example resolves through the server's real config
// parser, and every `paddock …` command line in a code block is accepted by the real CLI's
// argument parser (`--help` after it: flags are checked, nothing needs a server). A documented
// flag that does not exist fails this test.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCliInProcess } from '../../apps/cli/src/test-cli.ts';
import { parseServerArgs, resolveConfig, SETTING_SOURCES } from '../../apps/server/src/config.ts';
import { codeSpans, prose, shellBlocks, tableAfter } from './markdown.ts';
import { type ShellCommand, shellCommands, shellWords } from './shell-commands.ts';

const DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));
const docs = readdirSync(DOCS_DIR)
  .filter((file) => file.endsWith('.md'))
  .map((file) => ({ file, text: readFileSync(join(DOCS_DIR, file), 'utf8') }));
const serverDoc = docs.find((d) => d.file === 'server.md')?.text ?? '';

const scratch = mkdtempSync(join(tmpdir(), 'paddock-docs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * What the placeholders of the settings table stand for; anything else is used as written
 * (`none`, `a,b`, `50/s`).
 */
const PLACEHOLDERS: Record<string, string> = {
  'HOST:PORT': '127.0.0.1:0',
  DIR: scratch,
  FILE: join(scratch, 'kubeconfig'),
  URL: 'https://idp.example/realm',
  N: '7',
  'N/s': '7/s',
  BYTES: '2048',
  DAYS: '30',
  MS: '1000',
  ID: 'paddock-web',
  'pdk_…': `pdk_${'A'.repeat(43)}`,
};
const exampleOf = (value: string) => PLACEHOLDERS[value] ?? value;

/** Resolves `paddock up ARGS` with `env` as the server would; throws naming what is wrong. */
function resolveServer(args: readonly string[], env: Record<string, string> = {}) {
  const flags = parseServerArgs(args);
  if (flags === 'help') assert.fail(`paddock up ${args.join(' ')} asks for help`);
  return resolveConfig({ flags, env });
}

type Setting = { flag?: string; env: string; values: string[] };

/** The settings table of docs/server.md: per row, flags with their values, and variables. */
function settingsTable(): { row: string; settings: Setting[] }[] {
  return tableAfter(serverDoc, '## Settings').map((cells) => {
    const [name = '', flagCell = '', envCell = ''] = cells;
    const flags = codeSpans(flagCell).map((span) => {
      // `--auth none|required`: the flag, then its value form with alternatives.
      const [flag = '', ...words] = span.split(/\s+/);
      const value = words.join(' ').replace(/^(["'])(.*)\1$/, '$2');
      return { flag, values: value === '' ? [] : value.split('|').map(exampleOf) };
    });
    const envs: { env: string; example?: string }[] = [];
    for (const span of codeSpans(envCell)) {
      if (/^[A-Z][A-Z0-9_]*$/.test(span)) envs.push({ env: span });
      else {
        const last = envs.at(-1);
        assert.ok(last !== undefined, `${name}: example "${span}" follows no variable`);
        last.example = exampleOf(span);
      }
    }
    // A row pairs its flags and variables in order; a row without flags (—) has variables only.
    assert.ok(
      flags.length === 0 || flags.length === envs.length,
      `${name}: ${flags.length} flags but ${envs.length} variables`,
    );
    const settings: Setting[] = envs.map(({ env, example }, i) => {
      const flag = flags[i];
      const values = flag?.values ?? (example === undefined ? [] : [example]);
      return flag === undefined ? { env, values } : { flag: flag.flag, env, values };
    });
    return { row: name, settings };
  });
}

/** Runs `paddock ARGS` in this process with the real CLI; its output is collected, not printed. */
async function runDocumented(args: readonly string[]): Promise<{ code: number; output: string }> {
  const env = { ...process.env, NO_COLOR: '1', PADDOCK_CONFIG: join(scratch, 'cli.yaml') };
  const { code, output } = await runCliInProcess(args, env);
  return { code: code ?? 1, output };
}

/** `paddock …` invocations in the docs' shell code blocks, each with where it was found. */
function documentedInvocations(): { where: string; command: ShellCommand }[] {
  const found: { where: string; command: ShellCommand }[] = [];
  for (const { file, text } of docs) {
    for (const block of shellBlocks(text)) {
      for (const command of shellCommands(block.text)) {
        if (basename(command.argv[0] ?? '') !== 'paddock') continue;
        found.push({ where: `docs/${file} (block at line ${block.line})`, command });
      }
    }
  }
  return found;
}

describe('docs: server settings (docs/server.md) resolve through the real config parser', () => {
  it('the table lists every flag and variable of paddock up, each paired as the server pairs them', () => {
    const table = settingsTable();
    assert.ok(table.length >= 10, `only ${table.length} rows found under "## Settings"`);
    const documented = table.flatMap((r) => r.settings);
    for (const { flag, env } of documented) {
      if (flag === undefined) continue;
      const source = Object.values(SETTING_SOURCES).find(
        (s) => `--${'flag' in s ? s.flag : ''}` === flag,
      );
      assert.equal(
        source?.env,
        env,
        `${flag} is documented with ${env}, the server reads ${source?.env}`,
      );
    }
    for (const source of Object.values(SETTING_SOURCES)) {
      if ('flag' in source) {
        assert.ok(
          documented.some((d) => d.flag === `--${source.flag}`),
          `--${source.flag} is missing from the table`,
        );
      }
      assert.ok(
        documented.some((d) => d.env === source.env),
        `${source.env} is missing from the table`,
      );
    }
  });

  it('every flag of the table, with its documented value form, is accepted', () => {
    const table = settingsTable();
    const flags = table.flatMap((r) => r.settings).filter((s) => s.flag !== undefined);
    for (const { flag, values } of flags) {
      assert.ok(values.length > 0, `${flag}: the table shows no value (e.g. "${flag} DIR")`);
    }
    const argsWith = (choice: (s: Setting) => string) =>
      flags.flatMap((s) => [s.flag ?? '', choice(s)]);
    // All at once (some settings need each other: an OIDC client id needs the issuer)…
    assert.doesNotThrow(() => resolveServer(argsWith((s) => s.values[0] ?? '')));
    // …and each alternative of each (`none|required`).
    for (const setting of flags) {
      for (const value of setting.values.slice(1)) {
        assert.doesNotThrow(
          () => resolveServer(argsWith((s) => (s === setting ? value : (s.values[0] ?? '')))),
          `${setting.flag} ${value}`,
        );
      }
    }
  });

  it("every variable of the table, with its flag's value form, is accepted", () => {
    const table = settingsTable();
    const env: Record<string, string> = {};
    for (const setting of table.flatMap((r) => r.settings)) {
      // A variable without a flag or example (a provider key) takes any text.
      env[setting.env] = setting.values[0] ?? 'example';
    }
    assert.doesNotThrow(() => resolveServer([], env));
  });

  it('every paddock up command line in the docs resolves', () => {
    const ups = documentedInvocations().filter(({ command }) => command.argv[1] === 'up');
    assert.ok(ups.length >= 4, `only ${ups.length} paddock up lines found`);
    for (const { where, command } of ups) {
      assert.doesNotThrow(
        () => resolveServer(command.argv.slice(2), command.env),
        `${where}: ${command.argv.join(' ')}`,
      );
    }
  });

  it('every server flag named in docs/server.md prose exists, and its examples resolve', () => {
    // Some examples only make sense with OIDC on (a client id needs an issuer).
    const base = ['--oidc-issuer', 'https://idp.example/realm', '--oidc-audience', 'paddock'];
    const spans = codeSpans(prose(serverDoc)).filter((span) => /^--[a-z]/.test(span));
    assert.ok(spans.length > 0);
    for (const span of spans) {
      const words = shellWords(span).map(exampleOf);
      const isComplete = words.every((w, i) => (i % 2 === 0) === w.startsWith('--'));
      if (isComplete && words.length % 2 === 0) {
        assert.doesNotThrow(() => resolveServer([...base, ...words]), span);
      } else {
        for (const flag of words.filter((w) => w.startsWith('--'))) {
          assert.throws(
            () => parseServerArgs([flag]),
            /needs a value/,
            `${span}: ${flag} is not a flag of paddock up`,
          );
        }
      }
    }
  });

  it('every "`--flag` / `VARIABLE`" pair in the docs is a real pair', () => {
    let pairs = 0;
    for (const { file, text } of docs) {
      for (const match of text.matchAll(/`(--[a-z0-9-]+)[^`]*` \/ `([A-Z][A-Z0-9_]*)`/g)) {
        pairs++;
        const source = Object.values(SETTING_SOURCES).find(
          (s) => 'flag' in s && `--${s.flag}` === match[1],
        );
        assert.equal(source?.env, match[2], `docs/${file}: ${match[0]}`);
      }
    }
    assert.ok(pairs >= 3, `only ${pairs} pairs found`);
  });
});

describe('docs: every paddock command line in a code block parses with the real CLI', () => {
  const invocations = documentedInvocations().filter(({ command }) => command.argv[1] !== 'up');

  it('finds the examples', () => {
    assert.ok(invocations.length >= 60, `only ${invocations.length} command lines found`);
  });

  it('each is a known command with known flags (run with --help)', async () => {
    const failures: string[] = [];
    for (const { where, command } of invocations) {
      const args = command.argv.slice(1);
      const dashes = args.indexOf('--');
      const withHelp =
        dashes === -1
          ? [...args, '--help']
          : [...args.slice(0, dashes), '--help', ...args.slice(dashes)];
      const { code, output } = await runDocumented(withHelp);
      if (code !== 0) failures.push(`${where}: paddock ${args.join(' ')}\n${output}`);
    }
    assert.deepEqual(failures, []);
  });
});
