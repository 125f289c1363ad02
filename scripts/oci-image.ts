/**
 * `node scripts/oci-image.ts --out paddock.tar [--tag paddock/paddock:0.1.0] [--agent-clis none]`:
 * Paddock's image (built with the Containerfile's `AGENT_CLIS`, `all` by default) as
 * an OCI image layout archive, made without a container engine from the tree `build-image.ts`
 * assembles, for `docker load`, `podman load`, `k3d image import` or `ctr image import`.
 *
 * It has no base image: instead of node:bookworm-slim's Debian, the one layer carries the shared
 * libraries this machine's Node.js and `/usr/bin/env` (the CLI's `#!/usr/bin/env node`) load,
 * copied from here; its user, environment, entrypoint, working directory and labels are the
 * Containerfile's. The layer is an uncompressed tar (about 1.2 GiB): registries and runtimes
 * take it as it is, `docker push` compresses it. Prefer `docker build` where there is an engine.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type AssembleOptions,
  agentCliValues,
  assembleRootfs,
  CONTAINERFILE,
  REPO_ROOT,
} from './build-image.ts';
import { type Instruction, parseContainerfile } from './containerfile.ts';

type Descriptor = { mediaType: string; digest: string; size: number };

const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Writes the archive `out` of the image tagged `tag`; returns the manifest's digest. */
export async function ociImage(
  out: string,
  tag: string,
  options: AssembleOptions = {},
): Promise<string> {
  const work = mkdtempSync(join(realpathSync(dirname(out)), '.paddock-oci-'));
  try {
    const rootfs = join(work, 'rootfs');
    assembleRootfs(rootfs, options);
    copyLibraries(rootfs, [join(rootfs, 'usr/local/bin/node'), '/usr/bin/env']);
    copyFileSync('/usr/bin/env', join(rootfs, 'usr/bin/env'));
    return await ociArchive(rootfs, out, tag);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Writes the archive `out` of an image whose one layer is the tree `rootfs`, tagged `tag`, with
 * the Containerfile's configuration; returns the manifest's digest.
 */
export async function ociArchive(rootfs: string, out: string, tag: string): Promise<string> {
  const work = mkdtempSync(join(realpathSync(dirname(out)), '.paddock-oci-'));
  try {
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs/sha256');
    mkdirSync(blobs, { recursive: true });
    // Reproducible: sorted names, owner root, one timestamp.
    const layerTar = join(work, 'layer.tar');
    execFileSync('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '-C',
      rootfs,
      '-cf',
      layerTar,
      '.',
    ]);
    const layer = await blob(blobs, layerTar, 'application/vnd.oci.image.layer.v1.tar');
    const configDescriptor = await jsonBlob(
      blobs,
      'application/vnd.oci.image.config.v1+json',
      imageConfig(layer.digest),
    );
    const manifest = await jsonBlob(blobs, 'application/vnd.oci.image.manifest.v1+json', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: configDescriptor,
      layers: [layer],
    });
    const [name = '', version = 'latest'] = splitTag(tag);
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            ...manifest,
            annotations: {
              'io.containerd.image.name': `${name}:${version}`,
              'org.opencontainers.image.ref.name': version,
            },
          },
        ],
      }),
    );
    // What `docker save` writes beside the layout, for Docker before 25.
    const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
    writeFileSync(
      join(layout, 'manifest.json'),
      JSON.stringify([
        {
          Config: blobPath(configDescriptor.digest),
          RepoTags: [`${name}:${version}`],
          Layers: [blobPath(layer.digest)],
        },
      ]),
    );
    const partial = `${out}.partial`;
    execFileSync(
      'tar',
      ['--owner=0', '--group=0', '--numeric-owner', '-C', layout, '-cf', partial].concat([
        'oci-layout',
        'index.json',
        'manifest.json',
        'blobs',
      ]),
    );
    renameSync(partial, out);
    return manifest.digest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `registry/name:tag` → name and tag (a port's colon is not a tag's). */
function splitTag(tag: string): [string, string] {
  const colon = tag.lastIndexOf(':');
  if (colon <= tag.lastIndexOf('/')) return [tag, 'latest'];
  return [tag.slice(0, colon), tag.slice(colon + 1)];
}

/** The shared libraries `binaries` load (as `ldd` lists them), at the same paths in `rootfs`. */
function copyLibraries(rootfs: string, binaries: string[]): void {
  for (const binary of binaries) {
    const listed = execFileSync('ldd', [binary], { encoding: 'utf8' });
    for (const match of listed.matchAll(/(\/\S+) \(0x/g)) {
      const path = match[1] ?? '';
      // The tree's /lib, /lib64 and /bin link into /usr, as Debian's do.
      const at = join(rootfs, path.replace(/^\/(lib64|lib|bin|sbin)\//, '/usr/$1/'));
      if (existsSync(at)) continue;
      mkdirSync(dirname(at), { recursive: true });
      copyFileSync(realpathSync(path), at);
    }
  }
}

function imageConfig(layerDigest: string): Record<string, unknown> {
  const file = parseContainerfile(readFileSync(join(REPO_ROOT, CONTAINERFILE), 'utf8'));
  const steps = (op: string): Instruction[] =>
    (file.stages.at(-1)?.instructions ?? []).filter((step) => step.op === op);
  // The stage's ARGs at their defaults (`--build-arg` has no counterpart here).
  const args = new Map(steps('ARG').map((step) => step.text.split('=') as [string, string]));
  const labels: Record<string, string> = {};
  for (const step of steps('LABEL')) {
    for (const pair of step.text.matchAll(/([\w.-]+)="([^"]*)"/g)) {
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\$\{(\w+)\}/g, (_, n) => args.get(n) ?? '');
    }
  }
  return {
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    config: {
      User: steps('USER').at(-1)?.args[0],
      Env: [`PATH=${IMAGE_PATH}`, ...steps('ENV').map((step) => step.text)],
      Entrypoint: steps('ENTRYPOINT').at(-1)?.args,
      Cmd: steps('CMD').at(-1)?.args,
      WorkingDir: steps('WORKDIR').at(-1)?.args[0],
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
    history: [{ created_by: 'scripts/oci-image.ts (image/Containerfile, without an engine)' }],
  };
}

async function blob(blobs: string, path: string, mediaType: string): Promise<Descriptor> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  const size = statSync(path).size;
  renameSync(path, join(blobs, hex));
  return { mediaType, digest: `sha256:${hex}`, size };
}

async function jsonBlob(blobs: string, mediaType: string, value: unknown): Promise<Descriptor> {
  const path = join(blobs, 'pending.json');
  writeFileSync(path, JSON.stringify(value));
  return await blob(blobs, path, mediaType);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      tag: { type: 'string', default: 'paddock/paddock:0.1.0' },
      'agent-clis': { type: 'string' },
    },
    strict: true,
  });
  const agentClis = values['agent-clis'];
  const known = agentCliValues();
  if (values.out === undefined) {
    process.stderr.write(
      `usage: node scripts/oci-image.ts --out FILE.tar [--tag NAME:TAG] [--agent-clis ${known.join('|')}]\n`,
    );
    process.exitCode = 2;
  } else if (agentClis !== undefined && !known.includes(agentClis)) {
    process.stderr.write(`--agent-clis: must be ${known.join(', ')}, not ${agentClis}\n`);
    process.exitCode = 2;
  } else {
    const options = agentClis === undefined ? {} : { agentClis };
    const digest = await ociImage(values.out, values.tag, options);
    const bytes = statSync(values.out).size;
    process.stdout.write(
      `wrote ${values.out}: ${values.tag} (${digest}), ${(bytes / 2 ** 20).toFixed(1)} MiB\n`,
    );
  }
}
