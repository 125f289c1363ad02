import {
  type AgentSpec,
  ErrorCode,
  PaddockError,
  type ResourceStore,
  type Run,
} from '@paddock/core';
import { isUsableBy, ownerOf } from '../access/ownership.ts';

/**
 * The one way to find a run's agent definition: inline, or the Agent its `agentRef` names in the
 * run's namespace when the run's owner may use it. A run acts as its owner, so another user's
 * Agent is `not_found` exactly like a missing one (admission, the reconciler and the gateway's
 * budgets all read it through here).
 */
export async function agentOfRun(store: ResourceStore, run: Run): Promise<AgentSpec> {
  if (run.spec.agent) return run.spec.agent;
  const name = run.spec.agentRef?.name ?? '';
  const agent = await store.get('Agent', { namespace: run.metadata.namespace ?? 'default', name });
  if (!isUsableBy(ownerOf(run), agent)) {
    throw new PaddockError(ErrorCode.NotFound, `agent ${name} not found`);
  }
  return agent.spec;
}
