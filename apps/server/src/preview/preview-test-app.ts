// Test support: the `web` SandboxTemplate (preview-app.py on port 8080, plus an idle http port
// and a tcp port) and the preview URLs the ports route hands out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { API } from '../test-server.ts';
import type { AuthWorld } from '../ws/test-users.ts';

const APP = readFileSync(new URL('./preview-app.py', import.meta.url), 'utf8');

export type PreviewPort = { port: number; protocol: string; previewUrl?: string };

/** Creates the namespaced `web` template (as the admin) that the preview tests run. */
export async function createWebTemplate(w: AuthWorld): Promise<void> {
  const template = await w.s.call('/api/v1/namespaces/default/sandboxtemplates', {
    method: 'POST',
    token: w.admin,
    body: JSON.stringify({
      apiVersion: API,
      kind: 'SandboxTemplate',
      metadata: { name: 'web' },
      spec: {
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
        files: [
          { path: '/workspace/app.py', content: APP },
          { path: '/workspace/index.html', content: '<h1>hello from the sandbox</h1>\n' },
        ],
        command: ['python3', '/workspace/app.py', '8080'],
        ports: [
          { name: 'web', port: 8080, protocol: 'http' },
          { name: 'other', port: 8081, protocol: 'http' },
          { name: 'db', port: 5432, protocol: 'tcp' },
        ],
      },
    }),
  });
  assert.equal(template.status, 201, await template.clone().text());
}

/** The sandbox's ports as `token` sees them (200 asserted). */
export async function portsOf(w: AuthWorld, name: string, token: string): Promise<PreviewPort[]> {
  const res = await w.s.call(`/api/v1/namespaces/default/sandboxes/${name}/ports`, { token });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { items: PreviewPort[] }).items;
}

/** A fresh preview URL (a signed 5-minute link) of one port, minted for `token`'s caller. */
export async function previewUrlOf(
  w: AuthWorld,
  name: string,
  token: string,
  port = 8080,
): Promise<string> {
  const url = (await portsOf(w, name, token)).find((p) => p.port === port)?.previewUrl;
  assert.ok(url, `a preview URL for ${name}:${port}`);
  return url;
}
