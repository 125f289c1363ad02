import { ErrorCode } from '@paddock/core';
import { stringify } from 'yaml';
import { OutputFormat } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { CheckStatus, formatChecks, hasFailure } from '../doctor/check.ts';
import { runDoctor } from '../doctor/run-doctor.ts';
import { exitCodeFor, shouldColor } from '../exit-codes.ts';
import { oneName } from './sandbox.ts';

export const doctorCommand: Command = {
  path: ['doctor'],
  flags: ['home'],
  help: `Usage: paddock doctor [--home DIR] [-o table|json|yaml|name]

Checks that this machine can run Paddock and that the configured server answers: Node.js version,
bubblewrap (a real sandbox is started), runsc (optional), socat, root, cgroups (which limits
apply), user namespaces, the data directory (--home, PADDOCK_HOME or ~/.paddock: writable, free
space) and the server's /healthz. Each problem is printed with its fix. Exits 0 when nothing
failed (warnings allowed), 7 otherwise. -o json prints the checks as an array; -o name
prints the names of the checks that did not pass.

Example:
  paddock doctor -o json
`,
  async run({ args, invocation, settings, client, io, env }) {
    if (args.length > 0) oneName(['', ...args], 'paddock doctor');
    const checks = await runDoctor({ env, home: invocation.flags.home, client });
    switch (settings.output) {
      case OutputFormat.Table:
        io.stdout(formatChecks(checks, { isFancy: shouldColor(process.stdout, env) }));
        break;
      case OutputFormat.Json:
        io.stdout(`${JSON.stringify(checks, null, 2)}\n`);
        break;
      case OutputFormat.Yaml:
        io.stdout(stringify(checks));
        break;
      case OutputFormat.Name:
        io.stdout(
          checks
            .filter((c) => c.status !== CheckStatus.Ok)
            .map((c) => `${c.name}\n`)
            .join(''),
        );
        break;
      default: {
        const unhandled: never = settings.output;
        throw new Error(`unknown output format ${String(unhandled)}`);
      }
    }
    return hasFailure(checks) ? exitCodeFor(ErrorCode.RuntimeUnavailable) : 0;
  },
};
