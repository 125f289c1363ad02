// A Sandbox as E2B's API shows it: its state, the fields its list and detail share, and what a
// create, connect or resume answers.
import { parseQuantity, quantityToNumber, type Sandbox } from '@paddock/core';
import type { ControlCall } from './e2b-call.ts';
import { E2B_TEMPLATE_ANNOTATION, ENVD_VERSION, metadataOf, sandboxIdOf } from './e2b-sandboxes.ts';

/** E2B's state of a Sandbox: `running`, `paused` (Paused or Stopped), or none (failed, being deleted). */
export function stateOf(sandbox: Sandbox): 'running' | 'paused' | undefined {
  if (sandbox.metadata.deletionTimestamp !== undefined) return undefined;
  const phase = sandbox.status?.phase ?? 'Pending';
  if (phase === 'Stopped' || phase === 'Paused') return 'paused';
  if (phase === 'Pending' || phase === 'Creating' || phase === 'Running') return 'running';
  return undefined;
}

function quantityOr(text: string | undefined, scale: number, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return Math.max(1, Math.ceil(quantityToNumber(parseQuantity(text)) / scale));
  } catch {
    return fallback;
  }
}

/** Which sandbox it is and of which template: the fields every E2B view of a sandbox carries. */
function identityOf(sandbox: Sandbox) {
  const template =
    sandbox.metadata.annotations?.[E2B_TEMPLATE_ANNOTATION] ?? sandbox.spec.templateRef.name;
  return {
    templateID: template,
    alias: template,
    sandboxID: sandboxIdOf(sandbox),
    clientID: 'paddock',
    envdVersion: ENVD_VERSION,
  };
}

/** The fields E2B's list and detail share. */
export function listedOf(sandbox: Sandbox) {
  const resources = sandbox.status?.resolved?.resources;
  const started =
    sandbox.status?.startedAt ?? sandbox.metadata.creationTimestamp ?? new Date().toISOString();
  const ends = [sandbox.spec.shutdownTime, sandbox.status?.expiresAt].filter(
    (t): t is string => t !== undefined,
  );
  const endAt = ends.length === 0 ? '9999-12-31T23:59:59.000Z' : ends.sort()[0];
  return {
    ...identityOf(sandbox),
    startedAt: started,
    endAt,
    cpuCount: quantityOr(resources?.cpu, 1, 1),
    memoryMB: quantityOr(resources?.memory, 1024 * 1024, 512),
    diskSizeMB: quantityOr(sandbox.status?.resolved?.workspace?.size, 1024 * 1024, 0),
    metadata: metadataOf(sandbox),
    state: stateOf(sandbox) ?? 'running',
    volumeMounts: [],
  };
}

/** What a create, connect or resume answers: how to reach the sandbox's envd. */
export function sandboxOf(call: ControlCall, sandbox: Sandbox) {
  return {
    ...identityOf(sandbox),
    envdAccessToken: call.e2b.tokens.tokenFor(sandbox),
    trafficAccessToken: null,
    domain: null,
  };
}

export function detailOf(call: ControlCall, sandbox: Sandbox) {
  const egress = sandbox.status?.resolved?.network?.egress;
  return {
    ...listedOf(sandbox),
    envdAccessToken: call.e2b.tokens.tokenFor(sandbox),
    allowInternetAccess: egress === undefined ? null : egress === 'open',
    domain: null,
    lifecycle: {
      onTimeout: sandbox.spec.shutdownPolicy === 'Stop' ? 'pause' : 'kill',
      autoResume: false,
    },
  };
}
