import { Provider } from './provider-errors.ts';
import type { Route } from './routes.ts';

/**
 * Tool types the caller runs itself (the provider bills their tokens only). Anthropic's typed
 * client tools carry a version suffix (`bash_20250124`), so they match by prefix; a tool without
 * `type` is a custom tool.
 */
const ANTHROPIC_CLIENT_TOOL_PREFIXES = ['custom', 'bash_', 'text_editor_', 'computer_', 'memory_'];
const OPENAI_CLIENT_TOOL_TYPES = new Set([
  'function',
  'custom',
  'local_shell',
  'shell',
  'apply_patch',
  'computer_use_preview',
  'mcp',
]);

/** A tool the provider runs and bills per use, which the gateway cannot meter. */
export type ProviderTool = { path: string; type: string };

/**
 * The first provider-side tool a model request declares: an Anthropic server tool
 * (`web_search_…`, `web_fetch_…`, `code_execution_…`, any typed tool not run by the caller),
 * an OpenAI Responses built-in tool (`web_search`, `file_search`, `code_interpreter`,
 * `image_generation`, …), or Chat Completions `web_search_options`. Deny by default: a tool
 * type not known to run on the caller's side counts as provider-side.
 */
export function providerToolOf(
  route: Route,
  request: Record<string, unknown>,
): ProviderTool | undefined {
  const isChat = route.provider === Provider.OpenAi && route.upstreamPath === '/chat/completions';
  if (isChat && request.web_search_options != null) {
    return { path: 'web_search_options', type: 'web_search' };
  }
  const { tools } = request;
  if (!Array.isArray(tools)) return undefined;
  for (const [index, tool] of tools.entries()) {
    const type =
      typeof tool === 'object' && tool !== null && 'type' in tool ? tool.type : undefined;
    if (type === undefined || type === null) continue;
    const name = String(type);
    if (!isClientTool(route.provider, name)) return { path: `tools[${index}]`, type: name };
  }
  return undefined;
}

function isClientTool(provider: Provider, type: string): boolean {
  switch (provider) {
    case Provider.Anthropic:
      return ANTHROPIC_CLIENT_TOOL_PREFIXES.some((prefix) => type.startsWith(prefix));
    case Provider.OpenAi:
      return OPENAI_CLIENT_TOOL_TYPES.has(type);
  }
}
