import type { EffectivePolicy, PolicyCheckResult, ResolvedTemplate } from '@paddock/api';
import type { Caller } from './call.ts';
import type { KindInput } from './operations.ts';
import type { RequestOptions } from './transport.ts';

/** Per-call options: a namespace (default: the client's) and, for templates, the cluster scope. */
export type GovernanceOptions = RequestOptions & { namespace?: string };

/** Template resolution with provenance. */
export type TemplateClient = {
  /**
   * The template after inheritance, with `origins` (field → template that set it) and `chain`.
   * `cluster: true` resolves a ClusterSandboxTemplate. Errors: `template_not_found`,
   * `template_invalid` (cycle, too deep).
   */
  resolve(
    name: string,
    options?: GovernanceOptions & { cluster?: boolean },
  ): Promise<ResolvedTemplate>;
};

/** The policy in force in a namespace, and a dry run of sandbox admission. */
export type PolicyClient = {
  effective(options?: GovernanceOptions): Promise<EffectivePolicy>;
  /** Every violation of a Sandbox manifest; nothing is created. */
  check(sandbox: KindInput<'Sandbox'>, options?: GovernanceOptions): Promise<PolicyCheckResult>;
};

const request = ({ signal, timeoutMs, headers }: RequestOptions = {}): RequestOptions => ({
  ...(signal && { signal }),
  ...(timeoutMs !== undefined && { timeoutMs }),
  ...(headers && { headers }),
});

export function templateClient(caller: Caller, defaultNamespace: string): TemplateClient {
  return {
    resolve: (name, options) =>
      options?.cluster
        ? caller.call('resolveClusterSandboxTemplate', { ...request(options), params: { name } })
        : caller.call('resolveSandboxTemplate', {
            ...request(options),
            params: { namespace: options?.namespace ?? defaultNamespace, name },
          }),
  };
}

export function policyClient(caller: Caller, defaultNamespace: string): PolicyClient {
  const params = (options: GovernanceOptions | undefined) => ({
    namespace: options?.namespace ?? defaultNamespace,
  });
  return {
    effective: (options) =>
      caller.call('getEffectivePolicy', { ...request(options), params: params(options) }),
    check: (sandbox, options) =>
      caller.call('checkSandboxPolicy', {
        ...request(options),
        params: { namespace: sandbox.metadata?.namespace ?? params(options).namespace },
        body: sandbox,
      }),
  };
}
