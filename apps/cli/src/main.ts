import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const VERSION = '0.1.0';

const USAGE = `paddock — run AI agents in isolated sandboxes

Usage:
  paddock up [--addr HOST:PORT] [--home DIR]   start Paddock on this machine (default 127.0.0.1:7070)
  paddock version                              print the version

Example:
  paddock up --addr 127.0.0.1:7070
`;

/** `up` runs the server app as a child process (apps never import each other) and forwards signals. */
function up(args: string[]): Promise<number> {
  const main = fileURLToPath(import.meta.resolve('@paddock/server/main'));
  const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return up(rest);
    case 'version':
    case '--version':
      process.stdout.write(`paddock ${VERSION} (node ${process.versions.node})\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`paddock: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
