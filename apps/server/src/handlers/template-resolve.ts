import { TEMPLATE_POLICY_ROUTES } from '@paddock/api';
import { isVisible } from '@paddock/control';
import {
  type AnyTemplate,
  API_VERSION,
  resolveTemplate,
  TemplateKind,
  type TemplateLookup,
} from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';

/** The cluster templates and those of `namespace` (when given) the caller may read, as a lookup. */
async function lookupFor(
  call: HandlerCall,
  namespace: string | undefined,
): Promise<TemplateLookup> {
  const { store } = call.deps.engine;
  const [cluster, local] = await Promise.all([
    store.list('ClusterSandboxTemplate'),
    namespace === undefined ? undefined : store.list('SandboxTemplate', { namespace }),
  ]);
  const templates: AnyTemplate[] = [...cluster.items, ...(local?.items ?? [])].filter((t) =>
    isVisible(call.principal, t),
  );
  return (kind, ns, name) =>
    templates.find(
      (t) => t.kind === kind && t.metadata.name === name && t.metadata.namespace === ns,
    );
}

/**
 * Resolves a template as admission would: `template_not_found` when it or an ancestor is missing,
 * `template_invalid` for a cycle or a chain too deep (core's details pass through).
 */
async function resolve(call: HandlerCall, kind: TemplateKind, name: string, namespace?: string) {
  const lookup = await lookupFor(call, namespace);
  const resolved = resolveTemplate(
    { kind, name },
    { lookup, ...(namespace === undefined ? {} : { namespace }) },
  );
  return json({
    apiVersion: API_VERSION,
    kind: 'ResolvedTemplate',
    template: { kind, name, ...(namespace === undefined ? {} : { namespace }) },
    spec: resolved.spec,
    overridable: resolved.overridable,
    origins: resolved.origins,
    chain: resolved.chain,
  });
}

/** `…/sandboxtemplates/{name}/resolved` and `…/clustersandboxtemplates/{name}/resolved`. */
export const templateResolveHandlers: RouteHandler[] = [
  on(TEMPLATE_POLICY_ROUTES.resolveSandboxTemplate, (call, { params }) =>
    resolve(call, TemplateKind.SandboxTemplate, params.name, params.namespace),
  ),
  on(TEMPLATE_POLICY_ROUTES.resolveClusterSandboxTemplate, (call, { params }) =>
    resolve(call, TemplateKind.ClusterSandboxTemplate, params.name),
  ),
];
