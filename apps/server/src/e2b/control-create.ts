// E2B's `POST /v2/sandboxes`: an E2B sandbox is a Sandbox in the E2B namespace, created and
// admitted by the same function as the REST API's; E2B's timeout is its `shutdownTime`; a
// snapshot id as the template starts it from that SandboxSnapshot.
import { randomBytes } from 'node:crypto';
import { findObject, isVisible, PrincipalVia } from '@paddock/control';
import {
  API_VERSION,
  ErrorCode,
  PaddockError,
  ResourceName,
  type Sandbox,
  type SandboxEnvironment,
  type TemplateRef,
} from '@paddock/core';
import { z } from 'zod';
import { createResource } from '../handlers/resources.ts';
import { json, type Reply } from '../http/respond.ts';
import { inSeconds, readBodyAs, unsupported } from './control-input.ts';
import { settle } from './control-sandbox.ts';
import { sandboxOf } from './control-views.ts';
import type { ControlCall } from './e2b-call.ts';
import {
  E2B_METADATA_ANNOTATION,
  E2B_NAMESPACE,
  E2B_SECURE_ANNOTATION,
  E2B_TEMPLATE_ANNOTATION,
} from './e2b-sandboxes.ts';

const Metadata = z.record(z.string(), z.string());

/** What E2B's `POST /v2/sandboxes` carries (fields Paddock cannot honour are refused by name). */
const NewSandbox = z.object({
  templateID: z.string().min(1),
  /** Seconds to live. */
  timeout: z.int().min(0).optional(),
  autoPause: z.boolean().optional(),
  autoPauseMemory: z.boolean().optional(),
  autoResume: z.object({ enabled: z.boolean() }).partial().optional(),
  secure: z.boolean().optional(),
  allow_internet_access: z.boolean().optional(),
  network: z
    .object({
      allowOut: z.array(z.string()).optional(),
      denyOut: z.array(z.string()).optional(),
      allowPublicTraffic: z.boolean().optional(),
    })
    .loose()
    .optional(),
  metadata: Metadata.optional(),
  envVars: Metadata.optional(),
  mcp: z.unknown().optional(),
  volumeMounts: z.array(z.unknown()).optional(),
});
type NewSandbox = z.infer<typeof NewSandbox>;

/** E2B's default sandbox lifetime when a create or fork names none (its API's default, in seconds). */
export const DEFAULT_TIMEOUT_SEC = 15;
/** A fresh E2B-style sandbox id: a letter and 19 lowercase letters and digits (a DNS label). */
function newSandboxId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(19);
  return `i${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/**
 * What an E2B template id names: the E2B namespace's SandboxTemplate, else a cluster one, else a
 * ready SandboxSnapshot there (a snapshot id): the template of the sandbox it was taken from, and
 * the snapshot to start from (admission checks the caller may use it, as for any Sandbox).
 */
async function templateRefOf(
  call: ControlCall,
  templateId: string,
): Promise<{ templateRef: TemplateRef; fromSnapshot?: { name: string } }> {
  const { store } = call.deps.engine;
  const local = await findObject(store, 'SandboxTemplate', {
    namespace: E2B_NAMESPACE,
    name: templateId,
  });
  if (local !== undefined) return { templateRef: { kind: 'SandboxTemplate', name: templateId } };
  const cluster = await findObject(store, 'ClusterSandboxTemplate', { name: templateId });
  if (cluster !== undefined)
    return { templateRef: { kind: 'ClusterSandboxTemplate', name: templateId } };
  const snapshot = ResourceName.safeParse(templateId).success
    ? await findObject(store, 'SandboxSnapshot', { namespace: E2B_NAMESPACE, name: templateId })
    : undefined;
  const source = snapshot?.status?.source;
  if (snapshot === undefined || source === undefined || !isVisible(call.principal, snapshot)) {
    throw new PaddockError(ErrorCode.NotFound, `template "${templateId}" not found`);
  }
  return { templateRef: source.templateRef, fromSnapshot: { name: templateId } };
}

/** E2B's network options as a Paddock network override (none when E2B's default is asked). */
function networkOf(body: NewSandbox): SandboxEnvironment['network'] | undefined {
  const allowOut = body.network?.allowOut ?? [];
  if (body.network?.denyOut !== undefined && body.network.denyOut.length > 0) {
    throw unsupported(
      'network.denyOut',
      'egress is denied unless allowed; list what to allow in allowOut',
    );
  }
  if (allowOut.length > 0) return { egress: 'allowlist', allowedDomains: allowOut };
  if (body.allow_internet_access === true) return { egress: 'open' };
  if (body.allow_internet_access === false) return { egress: 'none' };
  return undefined;
}

export async function createSandbox(call: ControlCall): Promise<Reply> {
  const body = await readBodyAs(call, NewSandbox, 'sandbox');
  if (body.mcp !== undefined) throw unsupported('mcp', "the MCP gateway template is E2B's");
  if (body.volumeMounts !== undefined && body.volumeMounts.length > 0) {
    throw unsupported('volumeMounts', 'Paddock has no volumes yet');
  }
  if (body.autoResume?.enabled === true) {
    throw unsupported('autoResume', 'a paused sandbox resumes on connect, not on traffic');
  }
  if (body.secure === false && call.principal.via !== PrincipalVia.Anonymous) {
    // Without the token, anyone who reaches the server and knows the id could run code in it.
    throw unsupported(
      'secure',
      'false is refused on a server that authenticates its callers: envd calls would need no credential at all',
    );
  }
  const { templateRef, fromSnapshot } = await templateRefOf(call, body.templateID);
  const network = networkOf(body);
  const env = Object.entries(body.envVars ?? {}).map(([name, value]) => ({ name, value }));
  const annotations: Record<string, string> = { [E2B_TEMPLATE_ANNOTATION]: body.templateID };
  if (body.metadata !== undefined && Object.keys(body.metadata).length > 0) {
    annotations[E2B_METADATA_ANNOTATION] = JSON.stringify(body.metadata);
  }
  if (body.secure === false) annotations[E2B_SECURE_ANNOTATION] = 'false';
  const overrides = {
    ...(env.length === 0 ? {} : { env }),
    ...(network === undefined ? {} : { network }),
  };
  const created = await newE2bSandbox(
    call,
    { annotations },
    {
      templateRef,
      ...(fromSnapshot === undefined ? {} : { fromSnapshot }),
      desiredState: 'Running',
      ...(Object.keys(overrides).length === 0 ? {} : { overrides }),
      shutdownTime: inSeconds(body.timeout ?? DEFAULT_TIMEOUT_SEC),
      shutdownPolicy: body.autoPause === true ? 'Stop' : 'Delete',
    },
  );
  const running = await settle(call, created, 'Running');
  return json(sandboxOf(call, running), 201);
}

/**
 * Creates a Sandbox under a fresh E2B id in the E2B namespace, as the caller, through the REST
 * API's create: its owner set, admitted (template, policy, quotas, references) and audited alike.
 * Answers at once; `settle` waits for it to run.
 */
export async function newE2bSandbox(
  call: ControlCall,
  metadata: Pick<Sandbox['metadata'], 'annotations' | 'labels'>,
  spec: Sandbox['spec'],
): Promise<Sandbox> {
  const manifest: Sandbox = {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { ...metadata, name: newSandboxId(), namespace: E2B_NAMESPACE },
    spec,
  };
  return (await createResource(call, 'Sandbox', manifest, E2B_NAMESPACE)) as Sandbox;
}
