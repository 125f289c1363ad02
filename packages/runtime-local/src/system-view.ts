import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ViewEntry } from './bwrap-launcher.ts';

/** Top-level host directories the system view shows read-only (as binds or as their symlinks). */
const HOST_TOP_LEVEL = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * Host `/etc` entries that hold no secrets and that programs need: the dynamic linker cache,
 * CA certificates, name service and locale settings, alternatives. Never shadow, gshadow,
 * sudoers, ssh keys or the host's passwd (Paddock generates its own passwd and group).
 */
export const HOST_ETC = [
  'alternatives',
  'bash.bashrc',
  'ca-certificates',
  'ca-certificates.conf',
  'debian_version',
  'fonts',
  'gai.conf',
  'host.conf',
  'inputrc',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'locale.alias',
  'localtime',
  'lsb-release',
  'magic',
  'mime.types',
  'nanorc',
  'nsswitch.conf',
  'os-release',
  'pki/ca-trust',
  'pki/tls/certs',
  'pki/tls/openssl.cnf',
  'profile',
  'profile.d',
  'protocols',
  'rpc',
  'services',
  'ssl/certs',
  'ssl/openssl.cnf',
  'terminfo',
  'timezone',
  'vim',
];

/** `/etc` entries of a directory rootfs replaced by Paddock's or hidden. */
const ROOTFS_ETC_HIDDEN = new Set([
  'passwd',
  'passwd-',
  'group',
  'group-',
  'shadow',
  'shadow-',
  'gshadow',
  'gshadow-',
  'sudoers',
  'sudoers.d',
  'hosts',
  'hostname',
  'mtab',
  'resolv.conf',
  'ssh',
]);

/** Top-level entries of a directory rootfs that the sandbox provides itself. */
const ROOTFS_TOP_LEVEL_HIDDEN = new Set([
  'proc',
  'dev',
  'sys',
  'tmp',
  'run',
  'etc',
  'home',
  'root',
  'workspace',
  'lost+found',
]);

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The parents of nested entries (`ssl` for `ssl/certs`) as `dir` entries, each once. */
function withParents(entries: ViewEntry[], root: string): ViewEntry[] {
  const out: ViewEntry[] = [];
  const made = new Set<string>([root]);
  for (const entry of entries) {
    const parts = entry.dest.slice(root.length + 1).split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const dir = `${root}/${parts.slice(0, i).join('/')}`;
      if (!made.has(dir)) {
        made.add(dir);
        out.push({ kind: 'dir', dest: dir });
      }
    }
    out.push(entry);
  }
  return out;
}

/**
 * The host's system, read-only: `/usr` and the usr-merge symlinks (or real directories) beside
 * it, and a filtered `/etc`. `resolv.conf` only when the sandbox shares the host's network.
 * Host `/etc` entries are admin-owned, so binds may follow their symlinks.
 */
export function hostSystemView(options: {
  shareNetwork: boolean;
  hostRoot?: string;
  /** A copy of the `/etc` entries (`EtcView`) to bind whole instead of entry by entry. */
  etcView?: string;
}): ViewEntry[] {
  const root = options.hostRoot ?? '/';
  const view: ViewEntry[] = [];
  for (const name of HOST_TOP_LEVEL) {
    const path = join(root, name);
    const stat = lstatOrUndefined(path);
    if (stat?.isSymbolicLink())
      view.push({ kind: 'symlink', target: readlinkSync(path), dest: `/${name}` });
    else if (stat?.isDirectory()) view.push({ kind: 'bind', source: path, dest: `/${name}` });
  }
  if (options.etcView !== undefined) {
    view.push({ kind: 'bind', source: options.etcView, dest: '/etc' });
    if (options.shareNetwork && lstatOrUndefined(join(root, 'etc', 'resolv.conf')) !== undefined)
      view.push({
        kind: 'bind',
        source: join(root, 'etc', 'resolv.conf'),
        dest: '/etc/resolv.conf',
      });
    view.push(
      { kind: 'dir', dest: '/var' },
      { kind: 'symlink', target: '../tmp', dest: '/var/tmp' },
    );
    return view;
  }
  view.push({ kind: 'dir', dest: '/etc' });
  const etc = HOST_ETC.concat(options.shareNetwork ? ['resolv.conf'] : []);
  const etcEntries: ViewEntry[] = [];
  for (const name of etc) {
    const path = join(root, 'etc', name);
    if (lstatOrUndefined(path) !== undefined) {
      etcEntries.push({ kind: 'bind', source: path, dest: `/etc/${name}` });
    }
  }
  view.push(...withParents(etcEntries, '/etc'));
  view.push({ kind: 'dir', dest: '/var' }, { kind: 'symlink', target: '../tmp', dest: '/var/tmp' });
  return view;
}

/**
 * A directory rootfs, read-only, entry by entry so that the sandbox's own mounts can sit on a
 * fresh root. Its symlinks are recreated, never followed on the host (an absolute link in an
 * image must not resolve to a host path). `scanPath` is where Paddock reads the rootfs;
 * `bwrapPath` where bwrap finds the same directory.
 */
export function rootfsView(options: {
  scanPath: string;
  bwrapPath: string;
  shareNetwork: boolean;
  /** Where tool directories will be mounted (under `/opt/`): the image's `/opt` makes room. */
  toolDests?: readonly string[];
}): ViewEntry[] {
  const view: ViewEntry[] = [];
  const top = readdirSync(options.scanPath).sort();
  const toolDests = options.toolDests ?? [];
  for (const name of top) {
    if (ROOTFS_TOP_LEVEL_HIDDEN.has(name)) continue;
    if (name === 'opt' && toolDests.length > 0) {
      view.push(...optWithTools(options.scanPath, options.bwrapPath, toolDests));
      continue;
    }
    view.push(entryOf(join(options.scanPath, name), join(options.bwrapPath, name), `/${name}`));
  }
  view.push({ kind: 'dir', dest: '/etc' });
  const etcScan = join(options.scanPath, 'etc');
  const etcNames = lstatOrUndefined(etcScan)?.isDirectory() ? readdirSync(etcScan).sort() : [];
  for (const name of etcNames) {
    if (ROOTFS_ETC_HIDDEN.has(name)) continue;
    view.push(entryOf(join(etcScan, name), join(options.bwrapPath, 'etc', name), `/etc/${name}`));
  }
  if (options.shareNetwork && lstatOrUndefined('/etc/resolv.conf') !== undefined) {
    view.push({ kind: 'bind', source: '/etc/resolv.conf', dest: '/etc/resolv.conf' });
  }
  if (!top.includes('var')) {
    view.push(
      { kind: 'dir', dest: '/var' },
      { kind: 'symlink', target: '../tmp', dest: '/var/tmp' },
    );
  }
  return view;
}

/**
 * The image's `/opt` when tools are mounted under it: a directory made inside the sandbox (a
 * read-only bind of the whole `/opt` would leave no room for mount points) holding the image's
 * entries one by one, except those a tool mount replaces. An `/opt` symlink gives way too.
 */
function optWithTools(
  scanPath: string,
  bwrapPath: string,
  toolDests: readonly string[],
): ViewEntry[] {
  const entries: ViewEntry[] = [{ kind: 'dir', dest: '/opt' }];
  const scan = join(scanPath, 'opt');
  if (!lstatOrUndefined(scan)?.isDirectory()) return entries;
  const taken = new Set(toolDests.map((dest) => dest.split('/')[2]));
  for (const name of readdirSync(scan).sort()) {
    if (taken.has(name)) continue;
    entries.push(entryOf(join(scan, name), join(bwrapPath, 'opt', name), `/opt/${name}`));
  }
  return entries;
}

function entryOf(scan: string, source: string, dest: string): ViewEntry {
  const stat = lstatSync(scan);
  if (stat.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(scan), dest };
  return { kind: 'bind', source, dest };
}
