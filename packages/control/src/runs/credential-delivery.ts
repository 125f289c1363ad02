/**
 * Credentials an agent declares, delivered into its run's sandbox just before the harness starts:
 * `as: env` becomes an environment variable of the harness process (never argv), `as: file`
 * extracts a `files` credential's directory at `mountPath` and removes its write permissions.
 * `as: gateway` needs nothing here: the gateway injects provider keys on its side.
 */
import {
  type AgentSpec,
  type CredentialSecret,
  CredentialType,
  ErrorCode,
  PaddockError,
  type Run,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';
import { OWNER_ANNOTATION } from '../admission.ts';

/**
 * Looks up a credential for a run (and audits the use). `undefined` when there is none the run's
 * owner may use in the run's namespace.
 */
export type CredentialSource = (request: {
  namespace: string;
  name: string;
  /** The run's owner (its creator). */
  owner: string;
  runName: string;
  use: 'env' | 'file';
}) => Promise<CredentialSecret | undefined>;

/** Where `files` credentials are unpacked before they are moved to their mountPath. */
const STAGING_DIR = '/tmp/.paddock-credentials';

/**
 * Moves the one top-level directory of the unpacked archive (`$1`) to the mount path (`$2`),
 * replacing what a previous attempt left there, and makes it read-only.
 */
const PLACE_SCRIPT = `set -e
set -- "$1" "$2" "$(find "$1" -mindepth 1 -maxdepth 1)"
if [ -z "$3" ] || [ ! -d "$3" ] || [ "$(find "$1" -mindepth 1 -maxdepth 1 | wc -l)" -ne 1 ]; then
  echo "the archive must hold exactly one directory" >&2; exit 3
fi
if [ -e "$2" ]; then chmod -R u+w "$2"; rm -rf "$2"; fi
mkdir -p "$(dirname "$2")"
mv "$3" "$2"
rm -rf "$1"
chmod -R a-w "$2"`;

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  return text;
}

function unusable(name: string, namespace: string, why: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `credential ${namespace}/${name}: ${why}`, {
    namespace,
    name,
  });
}

async function placeFiles(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  name: string,
  secret: CredentialSecret,
  mountPath: string,
): Promise<void> {
  const staging = `${STAGING_DIR}/${name}`;
  const value = secret.value;
  await runtime.files.remove(ref, staging, { recursive: true }).catch(() => {});
  await runtime.files.upload(
    ref,
    staging,
    new ReadableStream({
      start(controller) {
        controller.enqueue(value);
        controller.close();
      },
    }),
  );
  const handle = await runtime.exec(ref, {
    command: ['/bin/sh', '-c', PLACE_SCRIPT, 'paddock-credential', staging, mountPath],
  });
  const [, stderr, exit] = await Promise.all([
    drain(handle.stdout),
    drain(handle.stderr),
    handle.exit,
  ]);
  if (exit.exitCode !== 0) {
    const { namespace } = secret.credential;
    throw unusable(name, namespace, `cannot place it at ${mountPath}: ${stderr.trim()}`);
  }
}

/**
 * Delivers `agent.credentials` into the run's sandbox at `ref` and returns the environment they
 * add to the harness. A declared credential that is missing (or not the run owner's), of the
 * wrong type, or without its `env` / `mountPath` fails with `not_found` / `validation_failed`,
 * which fails the run with that message.
 */
export async function deliverCredentials(
  source: CredentialSource | undefined,
  runtime: SandboxRuntime,
  run: Run,
  agent: AgentSpec,
  ref: SandboxRef,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const namespace = run.metadata.namespace ?? 'default';
  const owner = run.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous';
  for (const use of agent.credentials ?? []) {
    if (use.as === 'gateway') continue;
    const secret = await source?.({
      namespace,
      name: use.name,
      owner,
      runName: run.metadata.name ?? '',
      use: use.as,
    });
    if (secret === undefined) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `credential ${namespace}/${use.name} not found (or not created by the run's owner)`,
        { namespace, name: use.name },
      );
    }
    const { type } = secret.credential;
    if (use.as === 'env') {
      if (use.env === undefined) throw unusable(use.name, namespace, 'as: env needs env');
      if (type === CredentialType.Files) {
        throw unusable(use.name, namespace, 'a files credential cannot be an env value');
      }
      env[use.env] = new TextDecoder().decode(secret.value);
    } else {
      if (use.mountPath === undefined) {
        throw unusable(use.name, namespace, 'as: file needs mountPath');
      }
      if (type !== CredentialType.Files) {
        throw unusable(use.name, namespace, `as: file needs a files credential, not ${type}`);
      }
      await placeFiles(runtime, ref, use.name, secret, use.mountPath);
    }
  }
  return env;
}
