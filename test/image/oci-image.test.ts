// scripts/oci-image.ts on a tree of three files: the archive is an OCI image layout (oci-layout,
// index.json, blobs named by the sha256 of their contents) whose manifest, configuration and one
// layer have the OCI media types, whose configuration is the Containerfile's, and whose layer is
// the tree, owned by root; beside it the manifest.json of `docker save`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ociArchive } from '../../scripts/oci-image.ts';
import { imageSteps } from './image-container.ts';

type Descriptor = {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
};

describe('scripts/oci-image.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-oci-'));
  const rootfs = join(dir, 'rootfs');
  const layout = join(dir, 'layout');
  const archive = join(dir, 'image.tar');
  let digest: string;

  before(async () => {
    mkdirSync(join(rootfs, 'opt/paddock/app'), { recursive: true });
    mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(rootfs, 'opt/paddock/app/hello.txt'), 'hello\n');
    writeFileSync(join(rootfs, 'usr/local/bin/node'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('/opt/paddock/app/hello.txt', join(rootfs, 'usr/local/bin/paddock'));
    digest = await ociArchive(rootfs, archive, 'registry.example:5000/paddock/paddock:1.2.3');
    mkdirSync(layout);
    execFileSync('tar', ['-xf', archive, '-C', layout]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const json = (path: string): unknown => JSON.parse(readFileSync(join(layout, path), 'utf8'));
  const blobPath = (d: Descriptor): string => `blobs/sha256/${d.digest.slice('sha256:'.length)}`;

  it('is an OCI image layout whose blobs are named by their sha256, none extra', () => {
    assert.deepEqual(readdirSync(layout).sort(), [
      'blobs',
      'index.json',
      'manifest.json',
      'oci-layout',
    ]);
    assert.deepEqual(json('oci-layout'), { imageLayoutVersion: '1.0.0' });
    const blobs = readdirSync(join(layout, 'blobs/sha256'));
    assert.equal(blobs.length, 3); // The manifest, the configuration, the layer.
    for (const name of blobs) {
      const contents = readFileSync(join(layout, 'blobs/sha256', name));
      assert.equal(createHash('sha256').update(contents).digest('hex'), name);
    }
    // The archive itself has no work files left beside it.
    assert.deepEqual(readdirSync(dir).sort(), ['image.tar', 'layout', 'rootfs']);
  });

  it('indexes one manifest, tagged, whose config and layer have the OCI media types', () => {
    const index = json('index.json') as {
      schemaVersion: number;
      mediaType: string;
      manifests: Descriptor[];
    };
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(index.manifests.length, 1);
    const [entry] = index.manifests as [Descriptor];
    assert.equal(entry.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(entry.digest, digest);
    assert.equal(entry.size, statSync(join(layout, blobPath(entry))).size);
    assert.deepEqual(entry.annotations, {
      'io.containerd.image.name': 'registry.example:5000/paddock/paddock:1.2.3',
      'org.opencontainers.image.ref.name': '1.2.3',
    });
    const manifest = json(blobPath(entry)) as {
      schemaVersion: number;
      mediaType: string;
      config: Descriptor;
      layers: Descriptor[];
    };
    assert.equal(manifest.schemaVersion, 2);
    assert.equal(manifest.mediaType, entry.mediaType);
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0]?.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    for (const blob of [manifest.config, ...manifest.layers]) {
      assert.equal(blob.size, statSync(join(layout, blobPath(blob))).size, blob.digest);
    }
    const saved = json('manifest.json') as Array<Record<string, unknown>>;
    assert.deepEqual(saved, [
      {
        Config: blobPath(manifest.config),
        RepoTags: ['registry.example:5000/paddock/paddock:1.2.3'],
        Layers: manifest.layers.map(blobPath),
      },
    ]);
  });

  it("configures the Containerfile's user, entrypoint and labels; its layer is the tree", () => {
    const index = json('index.json') as { manifests: Descriptor[] };
    const manifest = json(blobPath(index.manifests[0] as Descriptor)) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    const config = json(blobPath(manifest.config)) as {
      os: string;
      config: { User: string; Entrypoint: string[]; Labels: Record<string, string> };
      rootfs: { type: string; diff_ids: string[] };
    };
    assert.equal(config.os, 'linux');
    assert.equal(config.config.User, imageSteps('USER').at(-1)?.args[0]);
    assert.deepEqual(config.config.Entrypoint, imageSteps('ENTRYPOINT').at(-1)?.args);
    assert.equal(config.config.Labels['org.opencontainers.image.title'], 'paddock');
    // An uncompressed layer's diff ID is its digest.
    assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [manifest.layers[0]?.digest] });
    const listing = execFileSync(
      'tar',
      ['-tvf', join(layout, blobPath(manifest.layers[0] as Descriptor)), '--numeric-owner'],
      { encoding: 'utf8' },
    );
    const entries = listing
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    const names = entries.map((fields) => fields.slice(5).join(' '));
    assert.ok(names.includes('./opt/paddock/app/hello.txt'), listing);
    assert.ok(names.includes('./usr/local/bin/paddock -> /opt/paddock/app/hello.txt'), listing);
    for (const fields of entries) assert.equal(fields[1], '0/0', fields.join(' '));
  });
});
