/** `paddock`: runs the command line on this process's arguments, streams and environment. */
import { text } from 'node:stream/consumers';
import { runCli } from './cli.ts';
import type { Io } from './command.ts';

const io: Io = {
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
  isInteractive: process.stderr.isTTY === true,
  readStdin: () => text(process.stdin),
  now: () => new Date(),
};

process.exitCode = await runCli(process.argv.slice(2), io, process.env);
