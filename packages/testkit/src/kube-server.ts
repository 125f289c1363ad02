import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A Kubernetes API server for one test file. `full` says whether it is a whole cluster
 * (`PADDOCK_TEST_KUBECONFIG`: core/v1, garbage collection, admission, nodes that run pods) or the
 * test server of the development tree (CRDs alone, real API machinery; see `kubeSkipReason`).
 */
export type KubeTestServer = {
  kubeconfig: string;
  full: boolean;
  /** Stops a server this process started; a cluster named by the environment is left alone. */
  stop(): Promise<void>;
};

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Where `start.sh`/`stop.sh` of the test API server are: `PADDOCK_KUBE_SERVER`, else the
 * `shared/kube` folder beside the repository, when there is one.
 */
function serverScripts(): string | undefined {
  const dir = process.env.PADDOCK_KUBE_SERVER ?? join(ROOT, '..', 'shared', 'kube');
  return existsSync(join(dir, 'start.sh')) && existsSync(join(dir, 'stop.sh')) ? dir : undefined;
}

/** Why a test needing a Kubernetes API server (CRDs are enough) cannot run here, if it cannot. */
export const kubeSkipReason: string | undefined =
  process.env.PADDOCK_TEST_KUBECONFIG !== undefined || serverScripts() !== undefined
    ? undefined
    : 'no Kubernetes API server: set PADDOCK_TEST_KUBECONFIG to a cluster, or PADDOCK_KUBE_SERVER to a folder with the test API server (start.sh, stop.sh)';

/** Why a test needing a whole cluster (pods, core/v1, garbage collection) cannot run here. */
export const fullClusterSkipReason: string | undefined =
  process.env.PADDOCK_TEST_KUBECONFIG !== undefined
    ? undefined
    : 'needs a whole Kubernetes cluster (core/v1, garbage collection, admission, nodes): set PADDOCK_TEST_KUBECONFIG to one';

/**
 * The cluster named by `PADDOCK_TEST_KUBECONFIG`, or a fresh test API server started for the
 * caller (about a second; stop it in `after`); `args` apply to the test server only. Throws when neither is available: check
 * `kubeSkipReason` first.
 */
export async function startKubeTestServer(
  options: {
    /** Extra flags of the test server (`--compaction-interval=1s`, `--watch-cache=false`). */
    args?: string[];
  } = {},
): Promise<KubeTestServer> {
  const given = process.env.PADDOCK_TEST_KUBECONFIG;
  if (given !== undefined) return { kubeconfig: given, full: true, stop: async () => {} };
  const scripts = serverScripts();
  if (scripts === undefined) throw new Error(kubeSkipReason);
  const dir = mkdtempSync(join(tmpdir(), 'paddock-kube-'));
  const { stdout } = await run('bash', [join(scripts, 'start.sh'), dir], {
    env: { ...process.env, PADDOCK_KUBE_ARGS: (options.args ?? []).join(' ') },
  });
  return {
    kubeconfig: stdout.trim(),
    full: false,
    stop: async () => {
      await run('bash', [join(scripts, 'stop.sh'), dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
