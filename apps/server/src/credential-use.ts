/**
 * Where stored credentials are used on the server side, each use audited as `credential.use`:
 * the gateway's provider keys (`anthropic` / `openai` in `paddock-system`, falling back to the
 * server's environment) and the credentials a run's agent declares (handed to the run controller).
 */
import { randomUUID } from 'node:crypto';
import type { CredentialSource } from '@paddock/control';
import {
  type AuditLog,
  type AuditTarget,
  CredentialAuditAction,
  type CredentialStore,
  CredentialType,
  GATEWAY_CREDENTIALS,
  SYSTEM_NAMESPACE,
} from '@paddock/core';
import type { UpstreamSettings } from './run-services.ts';

type Audit = {
  auditLog: AuditLog;
  log: (line: string) => void;
};

async function auditUse(
  { auditLog, log }: Audit,
  actor: string,
  target: AuditTarget,
  details: Record<string, string>,
): Promise<void> {
  try {
    await auditLog.append({
      id: randomUUID(),
      time: new Date().toISOString(),
      requestId: '',
      actor,
      action: CredentialAuditAction.Use,
      target,
      result: 'success',
      details,
    });
  } catch (error) {
    log(`audit append failed for a credential use: ${(error as Error).message}`);
  }
}

/**
 * The gateway's upstreams with each provider's key looked up per call: the `apiKey` credential
 * named after the provider in `paddock-system` when there is one, else the configured key (the
 * server's environment). A credential that does not decrypt fails the call (`internal`) rather
 * than silently using another key.
 */
export function withCredentialKeys(
  upstreams: UpstreamSettings,
  credentials: CredentialStore,
  audit: Audit,
): UpstreamSettings {
  const wrap = (provider: keyof typeof GATEWAY_CREDENTIALS) => {
    const upstream = upstreams[provider];
    if (upstream === undefined) return {};
    const name = GATEWAY_CREDENTIALS[provider];
    const apiKey = async () => {
      const secret = await credentials.get(SYSTEM_NAMESPACE, name);
      if (secret === undefined || secret.credential.type !== CredentialType.ApiKey) {
        return upstream.apiKey();
      }
      await auditUse(
        audit,
        'system:gateway',
        { kind: 'Credential', namespace: SYSTEM_NAMESPACE, name },
        { provider, use: 'gateway' },
      );
      return new TextDecoder().decode(secret.value);
    };
    return { [provider]: { baseUrl: upstream.baseUrl, apiKey } };
  };
  return { ...wrap('anthropic'), ...wrap('openai') };
}

/**
 * What the run controller delivers into runs' sandboxes, and the sandbox controller binds for
 * template credential mounts: a credential of the run's (sandbox's) namespace, only when its
 * owner created it (so a user's run or sandbox cannot read another user's secrets).
 */
export function runCredentialSource(credentials: CredentialStore, audit: Audit): CredentialSource {
  return async ({ namespace, name, owner, runName, sandboxName, use }) => {
    const secret = await credentials.get(namespace, name);
    if (secret === undefined || secret.credential.owner !== owner) return undefined;
    const details = {
      ...(runName === undefined ? {} : { run: runName }),
      ...(sandboxName === undefined ? {} : { sandbox: sandboxName }),
      use,
    };
    await auditUse(audit, owner, { kind: 'Credential', namespace, name }, details);
    return secret;
  };
}
