// Unit tests of the built-in tools against a real temp directory.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRunning, untilGone } from '../test-support/process-state.ts';
import { bashTool } from './bash.ts';
import { editFileTool } from './edit-file.ts';
import { globTool } from './glob.ts';
import { grepTool } from './grep.ts';
import { listDirTool } from './list-dir.ts';
import { readFileTool } from './read-file.ts';
import { type ToolContext, truncateOutput } from './tool.ts';
import { writeFileTool } from './write-file.ts';

let dir: string;
let outside: string;
let context: ToolContext;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-agent-tools-'));
  outside = await mkdtemp(join(tmpdir(), 'paddock-agent-outside-'));
  context = {
    cwd: dir,
    allowOutsideCwd: false,
    maxOutputChars: 10_000,
    signal: new AbortController().signal,
  };
  await mkdir(join(dir, 'src/deep'), { recursive: true });
  await mkdir(join(dir, 'node_modules/pkg'), { recursive: true });
  await writeFile(join(dir, 'src/a.ts'), 'export const a = 1;\n// TODO: more\n');
  await writeFile(join(dir, 'src/deep/b.ts'), 'const b = "todo later";\n');
  await writeFile(join(dir, 'src/c.md'), 'TODO in markdown\n');
  await writeFile(join(dir, 'node_modules/pkg/x.ts'), 'TODO hidden\n');
  await writeFile(join(dir, 'bin.dat'), Buffer.from([84, 79, 68, 79, 0, 1, 2]));
  await writeFile(
    join(dir, 'lines.txt'),
    `${Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n')}\n`,
  );
  await writeFile(join(outside, 'secret.txt'), 'outside\n');
  await symlink(outside, join(dir, 'escape'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('paths', () => {
  for (const path of ['../x.txt', '/etc/hostname', 'escape/secret.txt']) {
    test(`refuses ${path} outside cwd`, async () => {
      const result = await readFileTool.run({ path }, context);
      assert.equal(result.isError, true);
      assert.match(result.output, /outside the working directory/);
    });
  }
  test('allows outside paths when configured', async () => {
    const result = await readFileTool.run(
      { path: join(outside, 'secret.txt') },
      { ...context, allowOutsideCwd: true },
    );
    assert.deepEqual(result, { output: 'outside\n', isError: false });
  });
  test('refuses writing through a symlink out of cwd, even to a new file', async () => {
    const result = await writeFileTool.run({ path: 'escape/new/file.txt', content: 'x' }, context);
    assert.equal(result.isError, true);
  });
});

describe('read_file and write_file', () => {
  test('reads a window of lines with a note', async () => {
    const result = await readFileTool.run({ path: 'lines.txt', offset: 3, limit: 2 }, context);
    assert.equal(result.output, 'line 3\nline 4\n[lines 3-4 of 10; pass offset to read more]');
  });
  test('an offset past the end is an error', async () => {
    assert.equal(
      (await readFileTool.run({ path: 'lines.txt', offset: 11 }, context)).isError,
      true,
    );
  });
  test('a missing file is an error result, not a crash', async () => {
    const result = await readFileTool.run({ path: 'nope.txt' }, context);
    assert.equal(result.isError, true);
    assert.match(result.output, /ENOENT/);
  });
  test('write_file creates directories', async () => {
    const result = await writeFileTool.run({ path: 'new/dir/f.txt', content: 'héllo' }, context);
    assert.deepEqual(result, { output: 'wrote 6 bytes to new/dir/f.txt', isError: false });
    assert.equal(await readFile(join(dir, 'new/dir/f.txt'), 'utf8'), 'héllo');
  });
  test('a non-object argument is refused', async () => {
    const result = await writeFileTool.run('{"path": "x"', context);
    assert.equal(result.isError, true);
    assert.match(result.output, /not a JSON object/);
  });
});

describe('edit_file', () => {
  test('replaces literally (no $ patterns) when the match is unique', async () => {
    await writeFile(join(dir, 'e.txt'), 'price: 5\n');
    const result = await editFileTool.run(
      { path: 'e.txt', old_string: '5', new_string: "$& $1 $'" },
      context,
    );
    assert.equal(result.isError, false);
    assert.equal(await readFile(join(dir, 'e.txt'), 'utf8'), "price: $& $1 $'\n");
  });
  test('an empty old_string is refused naming the field', async () => {
    const result = await editFileTool.run(
      { path: 'e.txt', old_string: '', new_string: 'x' },
      context,
    );
    assert.equal(result.isError, true);
    assert.match(result.output, /old_string/);
  });
});

describe('list_dir, glob and grep', () => {
  test('list_dir marks directories', async () => {
    const result = await listDirTool.run({ path: 'src' }, context);
    assert.equal(result.output, 'a.ts\nc.md\ndeep/');
  });
  test('glob finds files and skips node_modules', async () => {
    const result = await globTool.run({ pattern: '**/*.ts' }, context);
    assert.equal(result.output, 'src/a.ts\nsrc/deep/b.ts');
  });
  test('grep finds lines with a glob filter, skipping binaries and node_modules', async () => {
    const all = await grepTool.run({ pattern: 'TODO', ignoreCase: true }, context);
    assert.equal(
      all.output,
      'src/a.ts:2:// TODO: more\nsrc/c.md:1:TODO in markdown\nsrc/deep/b.ts:1:const b = "todo later";',
    );
    const ts = await grepTool.run({ pattern: 'TODO', glob: '*.ts' }, context);
    assert.equal(ts.output, 'src/a.ts:2:// TODO: more');
  });
  test('grep names a bad regex as the pattern field', async () => {
    const result = await grepTool.run({ pattern: '(' }, context);
    assert.equal(result.isError, true);
    assert.match(result.output, /pattern: /);
  });
});

describe('bash', () => {
  test('reports the exit code; non-zero is an error', async () => {
    const result = await bashTool.run({ command: 'echo out; echo err >&2; exit 3' }, context);
    assert.equal(result.isError, true);
    assert.match(result.output, /out\n/);
    assert.match(result.output, /err\n/);
    assert.match(result.output, /exit code: 3$/);
  });
  test('runs in cwd and does not see the daemon token', async () => {
    process.env.PADDOCK_AGENT_TOKEN = 'do-not-leak';
    try {
      const result = await bashTool.run(
        { command: 'pwd; echo "token=$PADDOCK_AGENT_TOKEN"' },
        context,
      );
      assert.equal(result.output, `${dir}\ntoken=\nexit code: 0`);
    } finally {
      delete process.env.PADDOCK_AGENT_TOKEN;
    }
  });
  test('a timeout kills the command and its background processes', async () => {
    const result = await bashTool.run(
      { command: 'sleep 60 & echo $! > sleeper.pid; wait', timeoutMs: 3000 },
      context,
    );
    assert.equal(result.isError, true);
    assert.match(result.output, /timed out after 3000ms \(killed\)$/);
    const pid = Number(await readFile(join(dir, 'sleeper.pid'), 'utf8'));
    await untilGone(pid);
    assert.equal(isRunning(pid), false);
  });
  test('long output is truncated with a note', async () => {
    const result = await bashTool.run(
      { command: 'seq 1 100000' },
      { ...context, maxOutputChars: 100 },
    );
    assert.match(result.output, /^1\n2\n/);
    assert.match(result.output, /characters truncated/);
    assert.match(result.output, /100000\nexit code: 0$/);
  });
  test('a timeoutMs above the ceiling is refused naming the field', async () => {
    const result = await bashTool.run({ command: 'true', timeoutMs: 10_000_000 }, context);
    assert.equal(result.isError, true);
    assert.match(result.output, /timeoutMs/);
  });
});

test('truncateOutput keeps head and tail', () => {
  assert.equal(truncateOutput('abcdefghij', 4), 'ab\n[… 6 characters truncated …]\nij');
  assert.equal(truncateOutput('abc', 4), 'abc');
});
