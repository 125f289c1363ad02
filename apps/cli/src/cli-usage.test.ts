// `paddock usage` against a real `paddock up` whose ledger holds known calls: the table, JSON and
// YAML carry the ledger's sums, and a bad window is refused naming the flag or the field.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteUsageLedger } from '@paddock/store-sqlite';
import {
  bwrapSkipReason,
  llmCall,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';
import { exitCodeFor } from './exit-codes.ts';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const WINDOW = ['--since', '2025-03-01', '--until', '2025-03-02'];

describe('paddock usage', { skip: bwrapSkipReason(), timeout: 60_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-usage-'));
  let server: PaddockProcess;
  const cli = (args: string[]) => runCli(['--server', server.url, ...args]);

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    const ledger = await openSqliteUsageLedger({ path: join(home, 'paddock.db') });
    try {
      await ledger.record(llmCall(1, { costUsd: 0.125, inputTokens: 1000, outputTokens: 20 }));
      await ledger.record(llmCall(2, { model: 'gpt-4o', provider: 'openai', costUsd: 0.5 }));
      await ledger.record(llmCall(3, { namespace: 'team', user: 'bob', costUsd: 0.0000015 }));
      await ledger.record(llmCall(24 * 60 + 1, { costUsd: 9 }));
    } finally {
      await ledger.close();
    }
  });
  after(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('prints the ledger’s sums as JSON, by UTC day', async () => {
    const json = await cli(['usage', ...WINDOW, '-n', 'default', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.total.costUsd, 0.625);
    assert.equal(report.total.calls, 2);
    assert.equal(report.total.inputTokens, 1100);
    assert.deepEqual(
      report.days.map((d: { day: string; usage: { calls: number } }) => [d.day, d.usage.calls]),
      [['2025-03-01', 2]],
    );
  });

  it('prints a table by model, top spender first, then the total', async () => {
    const table = await cli(['usage', ...WINDOW, '--group-by', 'model']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^MODEL\s+COST\s+CALLS\s+INPUT TOKENS\s+OUTPUT TOKENS$/);
    assert.match(lines[1] ?? '', /^gpt-4o\s+\$0\.50\s+1\s+100\s+10$/);
    assert.match(lines[2] ?? '', /^claude-sonnet-4-5\s+\$0\.13\s+2\s+1100\s+30$/);
    assert.match(lines[3] ?? '', /^TOTAL\s+\$0\.63\s+3\s+1200\s+40$/);
  });

  it('refuses bad flags and a window that ends before it starts, naming them', async () => {
    const bad = await cli(['usage', '--since', 'yesterday', '--group-by', 'weekday']);
    assert.equal(bad.code, exitCodeFor('validation_failed'), bad.stderr);
    assert.match(bad.stderr, /--since: must be a time/);
    assert.match(bad.stderr, /--group-by/);
    const backwards = await cli(['usage', '--since', '2025-03-02', '--until', '2025-03-01']);
    assert.equal(backwards.code, exitCodeFor('validation_failed'), backwards.stderr);
    assert.match(backwards.stderr, /query\.until: must be after since/);
  });
});
