// Test support (not exported): the "pods" of the combined stand-in. Each pod is a temporary
// directory whose `workspace`, `tmp`, `home` and `run` are bound at /workspace, /tmp, /home/user
// and /run/paddock of a bubblewrap mount namespace over this machine's read-only /usr and /etc,
// with the container's env. Every command of the pod (its main container, each exec) runs in such
// a namespace, as root, in this machine's pid and network namespaces: no isolation, no image, no
// limits; what it shows is the runtime's protocol, scripts and paths. Deleting a pod kills every
// process that carries its marker variable, as the kubelet kills a pod's containers. Its other
// emptyDir volumes are directories bound where its containers mount them (read-only if so); its
// init containers run first, one after another, when `images` says what their image stands for
// on this machine (host directories seen read-only, and how its command runs here).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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
  /** The main container's mounts of the pod's other emptyDirs: [directory, path, read-only]. */
  binds: Array<[string, string, boolean]>;
};

/** What an init container's image stands for here: directories it sees, how its command runs. */
export type StandInImage = {
  /** Host directories bound read-only at their own paths. */
  binds: readonly string[];
  command(argv: readonly string[]): string[];
};

const OWN_VOLUMES = new Set(['workspace', 'tmp', 'home', 'run']);

type Mounted = { volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> };

export class StandInPodHost {
  readonly #root: string;
  readonly #images: Readonly<Record<string, StandInImage>>;
  readonly #pods = new Map<string, HostedPod>();
  #counter = 0;

  constructor(root: string, images: Readonly<Record<string, StandInImage>> = {}) {
    this.#root = root;
    this.#images = images;
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
    const volumes = (pod.spec?.volumes ?? []).filter(
      (v) => v.emptyDir !== undefined && !OWN_VOLUMES.has(v.name),
    );
    for (const volume of volumes) mkdirSync(join(dir, `volume-${volume.name}`));
    const bindsOf = (container: Mounted | undefined): Array<[string, string, boolean]> =>
      (container?.volumeMounts ?? [])
        .filter((m) => volumes.some((v) => v.name === m.name))
        .map((m) => [join(dir, `volume-${m.name}`), m.mountPath, m.readOnly === true]);
    const container = pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER);
    const hosted: HostedPod = {
      dir,
      workspace,
      env: { PATH, HOSTNAME: pod.metadata?.name ?? '', ...env, [MARKER]: dir },
      main: { state: 'running', startedAt: new Date().toISOString() },
      binds: bindsOf(container),
    };
    this.#pods.set(key, hosted);
    for (const init of pod.spec?.initContainers ?? []) {
      const exitCode = this.#runInit(hosted, init, bindsOf(init));
      if (exitCode !== 0) {
        const at = new Date().toISOString();
        hosted.main = { state: 'terminated', startedAt: at, finishedAt: at, exitCode };
        return;
      }
    }
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

  /** Runs an init container to its end (its image as `images` says); its exit code. */
  #runInit(
    hosted: HostedPod,
    init: { image?: string; command?: string[]; args?: string[] },
    binds: Array<[string, string, boolean]>,
  ): number {
    const image = this.#images[init.image ?? ''];
    if (image === undefined) return 127;
    const args = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc', ...topLevelBinds()];
    args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
    for (const path of image.binds) args.push('--ro-bind', path, path);
    for (const [source, at, isReadOnly] of binds) {
      args.push(isReadOnly ? '--ro-bind' : '--bind', source, at);
    }
    const argv = image.command([...(init.command ?? []), ...(init.args ?? [])]);
    const result = spawnSync('bwrap', [...args, '--chdir', '/', '--', ...argv], {
      env: hosted.env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return result.status ?? 1;
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

  #bwrapArgs({ dir, workspace, binds: volumes }: HostedPod, cwd: string): string[] {
    const args = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc', ...topLevelBinds()];
    args.push('--proc', '/proc', '--dev', '/dev');
    args.push('--bind', workspace, '/workspace');
    const binds: Array<[string, string]> = [
      ['tmp', '/tmp'],
      ['home', '/home/user'],
      ['run', '/run/paddock'],
    ];
    for (const [sub, at] of binds) args.push('--bind', join(dir, sub), at);
    for (const [source, at, isReadOnly] of volumes) {
      args.push(isReadOnly ? '--ro-bind' : '--bind', source, at);
    }
    // Each exec is a session leader, as runc makes it: its group is its tree.
    args.push('--new-session', '--chdir', cwd, '--');
    return args;
  }
}

/** This machine's /bin, /lib… as a container sees them: symbolic links kept, directories bound. */
function topLevelBinds(): string[] {
  const args: string[] = [];
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const path = `/${top}`;
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {}
  }
  return args;
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
