// Test support: a real server with auth required, two users, and the official `e2b` SDK's
// connection options pointed at its `/e2b` surface.
import assert from 'node:assert/strict';
import { Sandbox } from 'e2b';
import { createRunningSandbox } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { E2B_NAMESPACE, ENVD_VERSION, openAccessTokens } from './e2b-sandboxes.ts';

/**
 * What the SDK raises for an envd call without the sandbox's access token: the same as for a
 * sandbox that does not exist, so envd tells no stranger which ids exist.
 */
export const UNKNOWN_SANDBOX = /not found, or this access token \(X-Access-Token\) is not its/;

export type E2bWorld = AuthWorld & {
  /** The SDK's connection options for a user's API key (what `E2B_API_URL`, … would give). */
  opts(apiKey: string): { apiUrl: string; sandboxUrl: string; apiKey: string };
  /**
   * An SDK `Sandbox` for a sandbox created through the REST API as `apiKey` (from the `shell`
   * template unless told), with its access token: for envd tests that do not need the control API.
   */
  restSandbox(apiKey: string, template?: string): Promise<Sandbox>;
  /** Sets the cluster's default policy (as the admin); the returned call removes it again. */
  clusterPolicy(spec: Record<string, unknown>): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

export async function startE2bWorld(): Promise<E2bWorld> {
  const world = await startAuthWorld();
  const base = `${world.s.url}/e2b`;
  const opts = (apiKey: string) => ({ apiUrl: base, sandboxUrl: base, apiKey });
  return {
    ...world,
    opts,
    restSandbox: async (apiKey, template = 'shell') => {
      const name = uniqueName('e2b');
      await createRunningSandbox(world.s, name, {
        token: apiKey,
        template: { kind: 'ClusterSandboxTemplate', name: template },
      });
      const sandbox = await world.s.engine.store.get('Sandbox', { namespace: E2B_NAMESPACE, name });
      const envdAccessToken = openAccessTokens(world.s.home).tokenFor(sandbox);
      // The SDK's constructor is what `Sandbox.create`/`connect` call with the control API's answer.
      const Ctor = Sandbox as unknown as new (o: Record<string, unknown>) => Sandbox;
      return new Ctor({
        ...opts(apiKey),
        sandboxId: name,
        envdVersion: ENVD_VERSION,
        envdAccessToken,
      });
    },
    clusterPolicy: async (spec) => {
      const res = await world.s.call('/api/v1/clusterpolicies', {
        method: 'POST',
        token: world.admin,
        body: JSON.stringify({
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'ClusterPolicy',
          metadata: { name: 'default' },
          spec,
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      return async () => {
        await world.s.call('/api/v1/clusterpolicies/default', {
          method: 'DELETE',
          token: world.admin,
        });
      };
    },
    close: () => world.s.close(),
  };
}
