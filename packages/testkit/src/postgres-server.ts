import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/**
 * A PostgreSQL server for one test file, in a temporary directory of its own (data, Unix socket,
 * log). `url` reaches its `postgres` database over TCP on 127.0.0.1 with a password (SCRAM), as
 * a server in a cluster would; `createDatabase` gives each case a fresh, empty database.
 */
export type PostgresTestServer = {
  /** `postgres://paddock:…@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /** The directory of the server's Unix socket (`.s.PGSQL.<port>`). */
  socketDir: string;
  /** Creates an empty database (a fresh name unless given) and returns its TCP URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL as the superuser in `database` (through psql, over the socket); returns its output. */
  sql(database: string, statements: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut) and removes its directory. */
  stop(): Promise<void>;
};

const USER = 'paddock';

/**
 * The directory of `initdb` and `pg_ctl`: `PADDOCK_POSTGRES_BIN`, else the newest
 * `/usr/lib/postgresql/<version>/bin` (Debian keeps them off PATH).
 */
function findBinDir(): string | undefined {
  const given = process.env.PADDOCK_POSTGRES_BIN;
  if (given !== undefined) return existsSync(join(given, 'initdb')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const [newest] = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return newest === undefined ? undefined : join(root, newest, 'bin');
}

/** The `postgres` account the package creates: the server runs as it when tests run as root. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'postgres') return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

const BIN_DIR = findBinDir();
const IS_ROOT = process.getuid?.() === 0;
const ACCOUNT = IS_ROOT ? postgresAccount() : undefined;

/** Why a test needing PostgreSQL cannot run here, if it cannot. */
export const postgresSkipReason: string | undefined =
  BIN_DIR === undefined
    ? "no PostgreSQL server: install Debian's postgresql package (scripts/setup.sh does), or set PADDOCK_POSTGRES_BIN to the directory holding initdb and pg_ctl"
    : IS_ROOT && ACCOUNT === undefined
      ? 'PostgreSQL refuses to run as root and there is no postgres account to run it as'
      : undefined;

/**
 * Starts a PostgreSQL server in a fresh temporary directory: `initdb`, then `pg_ctl start` with
 * the socket in that directory, TCP on a free port of 127.0.0.1 and `fsync=off` (the tests need
 * no durability across a power cut). As root, the server runs as the `postgres` account, which
 * then owns the directory. About a second; `stop()` it in `after`. Throws when PostgreSQL is not
 * installed: check `postgresSkipReason` first.
 */
export async function startPostgres(): Promise<PostgresTestServer> {
  if (postgresSkipReason !== undefined || BIN_DIR === undefined) {
    throw new Error(postgresSkipReason ?? 'no PostgreSQL');
  }
  const bin = BIN_DIR;
  const base = tmpdir();
  const dir = mkdtempSync(join(base, 'paddock-postgres-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(dir, 'password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (ACCOUNT !== undefined) {
    // The account must reach its directory: the test run's own temporary directory gets the
    // search bit (not the read bit) for others.
    const mode = statSync(base).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(base, mode | 0o001);
    chownSync(dir, ACCOUNT.uid, ACCOUNT.gid);
    chownSync(passwordFile, ACCOUNT.uid, ACCOUNT.gid);
  }
  const asServer = (command: string, args: string[]) =>
    ACCOUNT === undefined
      ? run(join(bin, command), args)
      : run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]);
  await asServer('initdb', [
    '--pgdata',
    data,
    '--username',
    USER,
    `--pwfile=${passwordFile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  let port = 0;
  const options = () =>
    [
      '-c listen_addresses=127.0.0.1',
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ].join(' ');
  const stop = async () => {
    await asServer('pg_ctl', ['stop', '--pgdata', data, '--mode=fast', '--wait']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // A port found free may be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await asServer('pg_ctl', [
          'start',
          '--pgdata',
          data,
          '--wait',
          '--timeout=30',
          '--silent',
          `--log=${join(dir, 'server.log')}`,
          `--options=${options()}`,
        ]);
        break;
      } catch (error) {
        if (attempt >= 3) throw await withLog(error, join(dir, 'server.log'));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const sql = async (database: string, statements: string) => {
    const { stdout } = await run(join(bin, 'psql'), [
      '--no-psqlrc',
      '--quiet',
      '--tuples-only',
      '--no-align',
      '--set=ON_ERROR_STOP=1',
      `--host=${dir}`,
      `--port=${port}`,
      `--username=${USER}`,
      `--dbname=${database}`,
      `--command=${statements}`,
    ]);
    return stdout;
  };
  const urlOf = (database: string) =>
    `postgres://${USER}:${password}@127.0.0.1:${port}/${database}`;
  let databases = 0;
  return {
    url: urlOf('postgres'),
    port,
    socketDir: dir,
    createDatabase: async (name) => {
      databases += 1;
      const database = name ?? `case_${process.pid}_${databases}`;
      await sql('postgres', `CREATE DATABASE "${database.replaceAll('"', '""')}"`);
      return urlOf(database);
    },
    sql,
    stop,
  };
}

/** `error` with the server's log appended: why it did not start. */
async function withLog(error: unknown, logFile: string): Promise<Error> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`PostgreSQL did not start: ${message}\n${log.slice(-2_000)}`, { cause: error });
}
