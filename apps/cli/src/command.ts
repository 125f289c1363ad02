import type { PaddockClient } from '@paddock/client';
import type { FlagName, Invocation, Settings } from './cli-options.ts';

/** Where a command writes and reads; main wires it to the process, tests to buffers. */
export type Io = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress indicators only then. */
  isInteractive: boolean;
  readStdin: () => Promise<string>;
  now: () => Date;
};

export type CommandContext = {
  /** Positionals after the command's own words (`sandbox get NAME` → `[NAME]`). */
  args: string[];
  invocation: Invocation;
  settings: Settings;
  client: PaddockClient;
  io: Io;
  /** The environment `runCli` was given (never `process.env` directly: tests and embeddings differ). */
  env: NodeJS.ProcessEnv;
};

/** A leaf command: its words, flags, help text (with an example) and how it runs. */
export type Command = {
  path: readonly string[];
  flags: readonly FlagName[];
  help: string;
  /** Resolves with the exit code; failures are thrown as PaddockError. */
  run: (context: CommandContext) => Promise<number>;
};
