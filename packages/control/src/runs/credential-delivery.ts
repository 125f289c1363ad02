/**
 * Credentials an agent declares, delivered into its run's sandbox just before the harness starts:
 * `as: env` becomes an environment variable of the harness process (never argv), `as: file`
 * binds a `files` credential's directory read-only at `mountPath` (the runtime keeps the files
 * outside the sandbox, owned by root: the sandbox can read them, not change, chmod or remove
 * them); a second run in the same sandbox replaces them.
 * `as: gateway` needs nothing here: the gateway injects provider keys on its side.
 */
import {
  type AgentSpec,
  type CredentialSecret,
  CredentialType,
  ErrorCode,
  isPaddockError,
  PaddockError,
  type Run,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';
import { OWNER_ANNOTATION } from '../admission.ts';
import { filesOfArchive } from './credential-files.ts';

/**
 * Looks up a credential for a run or a sandbox's template mount (and audits the use).
 * `undefined` when there is none the owner may use in that namespace.
 */
export type CredentialSource = (request: {
  namespace: string;
  name: string;
  /** The run's (or sandbox's) owner: its creator. */
  owner: string;
  /** The run it is for, or the sandbox whose template mounts it. */
  runName?: string;
  sandboxName?: string;
  use: 'env' | 'file';
}) => Promise<CredentialSecret | undefined>;

function unusable(name: string, namespace: string, why: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `credential ${namespace}/${name}: ${why}`, {
    namespace,
    name,
  });
}

/**
 * Binds a `files` credential read-only at `mountPath` (`SandboxRuntime.bindReadOnlyFiles`):
 * never a copy the sandbox user would own. A runtime without the call fails the delivery
 * (`runtime_unavailable`) rather than copying the files in.
 */
async function bindFiles(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  name: string,
  secret: CredentialSecret,
  mountPath: string,
): Promise<void> {
  const { namespace } = secret.credential;
  if (runtime.bindReadOnlyFiles === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `credential ${namespace}/${name}: the ${runtime.name} runtime cannot bind read-only files into a sandbox, which as: file needs`,
      { namespace, name },
    );
  }
  const read = filesOfArchive(secret.value);
  if ('problem' in read) throw unusable(name, namespace, `its archive ${read.problem}`);
  try {
    await runtime.bindReadOnlyFiles(ref, { mountPath, files: read.files });
  } catch (error) {
    if (!isPaddockError(error, 'validation_failed')) throw error;
    throw unusable(name, namespace, `cannot bind it at ${mountPath}: ${error.message}`);
  }
}

/**
 * Delivers `agent.credentials` into the run's sandbox at `ref` and returns the environment they
 * add to the harness. A declared credential that is missing (or not the run owner's), of the
 * wrong type, or without its `env` / `mountPath` fails with `not_found` / `validation_failed`,
 * and a runtime that cannot bind read-only files with `runtime_unavailable`: each fails the run
 * with that message.
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
      await bindFiles(runtime, ref, use.name, secret, use.mountPath);
    }
  }
  return env;
}
