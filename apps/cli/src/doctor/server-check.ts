import type { PaddockClient } from '@paddock/client';
import { asPaddockError } from '../exit-codes.ts';
import { CheckStatus, check, type DoctorCheck } from './check.ts';

/** The configured server answers `/healthz`; only a warning when not (doctor also checks a host). */
export async function checkServer(client: PaddockClient): Promise<DoctorCheck> {
  try {
    await client.health({ timeoutMs: 5_000 });
    return check('server', CheckStatus.Ok, `${client.baseUrl} is up`);
  } catch (error) {
    const reason = asPaddockError(error);
    return check(
      'server',
      CheckStatus.Warn,
      `${client.baseUrl} is not reachable: ${reason.code}: ${reason.message}`,
      'start it with paddock up, or point at another with --server, PADDOCK_URL or paddock context use',
    );
  }
}
