import { Provider } from './provider-errors.ts';
import type { Route } from './routes.ts';

/**
 * Tool types billed by their tokens alone: those the caller runs itself, and the provider's own
 * web fetch, tool search and MCP connectors. Anthropic's typed tools carry a version suffix
 * (`bash_20250124`), so they match by prefix; a tool without `type` is a custom tool.
 */
const ANTHROPIC_TOKEN_BILLED_PREFIXES = [
  'custom',
  'bash_',
  'text_editor_',
  'computer_',
  'memory_',
  'web_fetch_',
  'tool_search_tool_',
  'mcp_toolset',
];
const OPENAI_TOKEN_BILLED_TYPES = new Set([
  'function',
  'custom',
  'namespace',
  'tool_search',
  'local_shell',
  'shell',
  'apply_patch',
  'computer',
  'computer_use_preview',
  'mcp',
]);

/** Web search, billed per search on top of tokens, which the gateway meters (`UsageMeter`). */
const ANTHROPIC_WEB_SEARCH_PREFIX = 'web_search_';
const OPENAI_WEB_SEARCH_TYPES = new Set([
  'web_search',
  'web_search_2025_08_26',
  'web_search_preview',
  'web_search_preview_2025_03_11',
]);

/**
 * The searches a call holds budget for when its web search tool sets no `max_uses` (Anthropic)
 * or cannot (OpenAI): a call that searches more is charged every search, past its hold.
 */
export const WEB_SEARCHES_HELD = 5;

/** A tool the provider runs and bills per use, which the gateway cannot meter. */
export type ProviderTool = { path: string; type: string };

type DeclaredTool = { path: string; type: string; maxUses: number | undefined };

/** The typed tools of a request, with their path and Anthropic `max_uses`. */
function declaredTools(request: Record<string, unknown>): DeclaredTool[] {
  const { tools } = request;
  if (!Array.isArray(tools)) return [];
  const declared: DeclaredTool[] = [];
  for (const [index, tool] of tools.entries()) {
    if (typeof tool !== 'object' || tool === null || !('type' in tool)) continue;
    if (tool.type === undefined || tool.type === null) continue;
    const maxUses = 'max_uses' in tool ? tool.max_uses : undefined;
    declared.push({
      path: `tools[${index}]`,
      type: String(tool.type),
      maxUses: typeof maxUses === 'number' && Number.isInteger(maxUses) ? maxUses : undefined,
    });
  }
  return declared;
}

/**
 * The first provider-side tool a model request declares that the gateway cannot meter: an
 * Anthropic server tool (`code_execution_…`, `advisor_…`), an OpenAI Responses built-in tool
 * (`file_search`, `code_interpreter`, `image_generation`, …), or Chat Completions
 * `web_search_options`. Web search (Anthropic `web_search_…`, OpenAI `web_search`) is metered,
 * not returned. Deny by default: a tool type not known to be billed by its tokens alone, or
 * metered, counts as provider-side.
 */
export function providerToolOf(
  route: Route,
  request: Record<string, unknown>,
): ProviderTool | undefined {
  const isChat = route.provider === Provider.OpenAi && route.upstreamPath === '/chat/completions';
  if (isChat && request.web_search_options != null) {
    return { path: 'web_search_options', type: 'web_search' };
  }
  for (const { path, type } of declaredTools(request)) {
    if (!isTokenBilled(route.provider, type) && !isWebSearch(route.provider, type)) {
      return { path, type };
    }
  }
  return undefined;
}

/**
 * The web searches a call's hold covers: the sum of its Anthropic web search tools' `max_uses`,
 * or {@link WEB_SEARCHES_HELD} for a web search tool without one; 0 without web search.
 */
export function webSearchesHeld(route: Route, request: Record<string, unknown>): number {
  let held = 0;
  for (const { type, maxUses } of declaredTools(request)) {
    if (isWebSearch(route.provider, type)) held += maxUses ?? WEB_SEARCHES_HELD;
  }
  return held;
}

function isWebSearch(provider: Provider, type: string): boolean {
  switch (provider) {
    case Provider.Anthropic:
      return type.startsWith(ANTHROPIC_WEB_SEARCH_PREFIX);
    case Provider.OpenAi:
      return OPENAI_WEB_SEARCH_TYPES.has(type);
  }
}

function isTokenBilled(provider: Provider, type: string): boolean {
  switch (provider) {
    case Provider.Anthropic:
      return ANTHROPIC_TOKEN_BILLED_PREFIXES.some((prefix) => type.startsWith(prefix));
    case Provider.OpenAi:
      return OPENAI_TOKEN_BILLED_TYPES.has(type);
  }
}
