import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedEtc } from './bwrap-launcher.ts';
import { HOST_ETC } from './system-view.ts';

/** Where Paddock as root keeps the copies: host-wide, gone at reboot (as the host uid claims). */
export const SHARED_ETC_VIEWS = '/run/paddock/etc';

/** Paddock's passwd and group, the same in every sandbox: written into the copy. */
const SHARED = generatedEtc('localhost');
/** Files each sandbox gets from Paddock instead of the host: empty here, bound over by bwrap. */
const PLACEHOLDERS = ['hosts', 'hostname', 'resolv.conf'];

/**
 * The host `/etc` entries a sandbox sees (`HOST_ETC`), copied once into one directory that
 * bwrap binds whole: one mount instead of one per entry (each costs bwrap a remount and a read
 * of its mount table), the larger part of a sandbox's start. A copy is named by the state of the
 * host entries it was made from (their inode, size and change time), so a host change (new CA
 * certificates, a new linker cache) gives new sandboxes a new copy, and running sandboxes keep
 * the one they were started with. Paddock's passwd and group are in it (the same everywhere);
 * placeholders stand for each sandbox's hosts and hostname. The host entries are looked at
 * again at most every `recheckMs` (a second by default), not at every start (a stat of each,
 * three dozen system calls): a host change reaches the sandboxes started a second later.
 */
export class EtcView {
  readonly #dir: string;
  readonly #hostRoot: string;
  readonly #recheckMs: number;
  #last: { dir: string; atMs: number } | undefined;

  /**
   * `dir` holds the copies; one per host is enough (Paddock as root keeps them in
   * `SHARED_ETC_VIEWS`, so every runtime root and test run shares them).
   */
  constructor(dir: string, hostRoot = '/', recheckMs = 1000) {
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    // Resolved: the launch binds the copy only if it is still exactly this path.
    this.#dir = realpathSync(dir);
    this.#hostRoot = hostRoot;
    this.#recheckMs = recheckMs;
  }

  /** The directory for a sandbox starting now, made if the host changed since the last look. */
  current(): string {
    const now = performance.now();
    if (this.#last !== undefined && now - this.#last.atMs < this.#recheckMs) return this.#last.dir;
    const dir = this.#stamped();
    this.#last = { dir, atMs: now };
    return dir;
  }

  #stamped(): string {
    // Paddock's own files are part of what a copy is made from.
    const stamp = createHash('sha256').update(SHARED.passwd).update(SHARED.group);
    const present: string[] = [];
    for (const name of HOST_ETC) {
      try {
        const stat = lstatSync(join(this.#hostRoot, 'etc', name));
        stamp.update(`${name} ${stat.ino} ${stat.size} ${stat.ctimeMs}\n`);
        present.push(name);
      } catch {}
    }
    const dir = join(this.#dir, `etc-${stamp.digest('hex').slice(0, 16)}`);
    if (!existsSync(dir)) this.#make(dir, present);
    return dir;
  }

  #make(dir: string, names: readonly string[]): void {
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { mode: 0o755 });
    for (const name of names) {
      // Symlinks as they are: inside, they resolve against the sandbox's own /usr and /etc.
      mkdirSync(dirname(join(tmp, name)), { recursive: true, mode: 0o755 });
      cpSync(join(this.#hostRoot, 'etc', name), join(tmp, name), {
        recursive: true,
        verbatimSymlinks: true,
        preserveTimestamps: true,
      });
    }
    writeFileSync(join(tmp, 'passwd'), SHARED.passwd, { mode: 0o644 });
    writeFileSync(join(tmp, 'group'), SHARED.group, { mode: 0o644 });
    for (const name of PLACEHOLDERS) writeFileSync(join(tmp, name), '', { mode: 0o644 });
    symlinkSync('../proc/self/mounts', join(tmp, 'mtab'));
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another runtime on the same root made it first: theirs is the same copy.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw error;
    }
  }
}
