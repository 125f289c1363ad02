// Test support (not exported): the "pods" of the combined stand-in. Each pod is a temporary
// directory whose `workspace`, `tmp`, `home` and `run` are bound at /workspace, /tmp, /home/user
// and /run/paddock of a bubblewrap mount namespace over this machine's read-only /usr and /etc,
// with the container's env. Every command of the pod (its main container, each exec) runs in such
// a namespace, as root, in this machine's pid and network namespaces: no isolation, no image, no
// limits; what it shows is the runtime's protocol, scripts and paths. Deleting a pod kills every
// process that carries its marker variable, as the kubelet kills a pod's containers.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../objects/kube-types.ts';
import { MAIN_CONTAINER } from '../objects/sandbox-pod.ts';

const MARKER = 'PADDOCK_STAND_IN_POD';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type MainState =
  | { state: 'running'; startedAt: string }
  | { state: 'terminated'; startedAt: string; finishedAt: string; exitCode: number };

type HostedPod = {
  dir: string;
  workspace: string;
  env: Record<string, string>;
  main: MainState;
  child?: ChildProcess;
};

export class StandInPodHost {
  readonly #root: string;
  readonly #pods = new Map<string, HostedPod>();
  #counter = 0;

  constructor(root: string) {
    this.#root = root;
  }

  /** Makes the pod's directories and starts its main container's command. */
  create(pod: Pod, env: Record<string, string>): void {
    const key = keyOf(pod);
    if (this.#pods.has(key)) return;
    const dir = join(this.#root, `pod-${++this.#counter}`);
    for (const sub of ['tmp', 'home', 'run']) mkdirSync(join(dir, sub), { recursive: true });
    // The workspace is the claim's: it outlives the pod, as a PersistentVolume does.
    const claim = pod.spec?.volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim;
    const workspace = this.#claimDir(
      pod.metadata?.namespace ?? '',
      claim?.claimName ?? `pod-${this.#counter}`,
    );
    const hosted: HostedPod = {
      dir,
      workspace,
      env: { PATH, HOSTNAME: pod.metadata?.name ?? '', ...env, [MARKER]: dir },
      main: { state: 'running', startedAt: new Date().toISOString() },
    };
    this.#pods.set(key, hosted);
    const container = pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER);
    const command = [...(container?.command ?? []), ...(container?.args ?? [])];
    if (command.length === 0) return;
    const log = openSync(join(dir, 'main.log'), 'a');
    const child = spawn(
      'bwrap',
      [...this.#bwrapArgs(hosted, container?.workingDir ?? '/workspace'), ...command],
      {
        stdio: ['ignore', log, log],
        env: hosted.env,
        detached: true,
      },
    );
    hosted.child = child;
    child.once('exit', (code, signal) => {
      const exitCode = code ?? 128 + (signal === null ? 0 : 9);
      hosted.main = {
        ...hosted.main,
        state: 'terminated',
        finishedAt: new Date().toISOString(),
        exitCode,
      };
    });
  }

  /** Kills every process of the pod and removes its directories. */
  delete(namespace: string, name: string): void {
    const hosted = this.#pods.get(`${namespace}/${name}`);
    if (hosted === undefined) return;
    this.#pods.delete(`${namespace}/${name}`);
    killMarked(hosted.dir);
    rmSync(hosted.dir, { recursive: true, force: true });
  }

  /** How an exec runs in the pod, or undefined when there is no such pod. */
  runner(
    namespace: string,
    name: string,
  ): ((command: string[]) => { command: string[]; env: NodeJS.ProcessEnv }) | undefined {
    const hosted = this.#pods.get(`${namespace}/${name}`);
    if (hosted === undefined) return undefined;
    return (command) => ({
      command: ['bwrap', ...this.#bwrapArgs(hosted, '/'), ...command],
      env: hosted.env,
    });
  }

  /** The main container's status as the kubelet reports it. */
  containerStatuses(pod: Pod): unknown[] {
    const hosted = this.#pods.get(keyOf(pod));
    if (hosted === undefined) return [];
    const main = hosted.main;
    const state =
      main.state === 'running'
        ? { running: { startedAt: main.startedAt } }
        : {
            terminated: {
              exitCode: main.exitCode,
              startedAt: main.startedAt,
              finishedAt: main.finishedAt,
              reason: main.exitCode === 0 ? 'Completed' : 'Error',
            },
          };
    return [
      {
        name: MAIN_CONTAINER,
        ready: main.state === 'running',
        restartCount: 0,
        image: 'stand-in',
        imageID: '',
        started: main.state === 'running',
        state,
      },
    ];
  }

  startedAt(pod: Pod): string | undefined {
    return this.#pods.get(keyOf(pod))?.main.startedAt;
  }

  /** The main container's log file and whether it still runs. */
  log(namespace: string, name: string): { path: string; isRunning: () => boolean } | undefined {
    const hosted = this.#pods.get(`${namespace}/${name}`);
    if (hosted === undefined) return undefined;
    return { path: join(hosted.dir, 'main.log'), isRunning: () => hosted.main.state === 'running' };
  }

  close(): void {
    for (const key of [...this.#pods.keys()]) {
      const [namespace = '', name = ''] = key.split('/');
      this.delete(namespace, name);
    }
  }

  /** Removes a claim's workspace (its PersistentVolumeClaim was deleted). */
  deleteClaim(namespace: string, name: string): void {
    rmSync(join(this.#root, 'claims', `${namespace}.${name}`), { recursive: true, force: true });
  }

  #claimDir(namespace: string, name: string): string {
    const dir = join(this.#root, 'claims', `${namespace}.${name}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  #bwrapArgs({ dir, workspace }: HostedPod, cwd: string): string[] {
    const args = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc'];
    for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
      const path = `/${top}`;
      try {
        const stat = lstatSync(path);
        if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
        else if (stat.isDirectory()) args.push('--ro-bind', path, path);
      } catch {}
    }
    args.push('--proc', '/proc', '--dev', '/dev');
    args.push('--bind', workspace, '/workspace');
    const binds: Array<[string, string]> = [
      ['tmp', '/tmp'],
      ['home', '/home/user'],
      ['run', '/run/paddock'],
    ];
    for (const [sub, at] of binds) args.push('--bind', join(dir, sub), at);
    // Each exec is a session leader, as runc makes it: its group is its tree.
    args.push('--new-session', '--chdir', cwd, '--');
    return args;
  }
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** SIGKILL to every process whose environment carries the pod's marker. */
function killMarked(dir: string): void {
  const needle = `${MARKER}=${dir}\0`;
  for (let round = 0; round < 3; round++) {
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      try {
        if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle))
          process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
}
