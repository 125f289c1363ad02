// Test support: a real server with auth required, two users, and the official `e2b` SDK's
// connection options pointed at its `/e2b` surface.
import { Sandbox } from 'e2b';
import { createRunningSandbox } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { E2B_NAMESPACE, ENVD_VERSION, openAccessTokens } from './e2b-sandboxes.ts';

export type E2bWorld = AuthWorld & {
  /** The SDK's connection options for a user's API key (what `E2B_API_URL`, … would give). */
  opts(apiKey: string): { apiUrl: string; sandboxUrl: string; apiKey: string };
  /**
   * An SDK `Sandbox` for a sandbox created through the REST API as `apiKey` (from the `shell`
   * template unless told), with its access token: for envd tests that do not need the control API.
   */
  restSandbox(apiKey: string, template?: string): Promise<Sandbox>;
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
    close: () => world.s.close(),
  };
}
