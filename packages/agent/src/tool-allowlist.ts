/**
 * Which tools a run may use. Without an allowlist: every built-in tool and every tool of the
 * configured MCP servers. With one: a tool is allowed when the list names it exactly, or names a
 * prefix ending in `*` (`mcp__github__*` allows every tool of the `github` server; `*` allows all).
 */
import { ErrorCode, PaddockError } from '@paddock/core';
import { BUILTIN_TOOL_NAMES } from './tools/builtin.ts';

/** The prefix of MCP tool names: `mcp__<server>__<tool>`. */
export const MCP_PREFIX = 'mcp__';

export type ToolAllowlist = { isAllowed(name: string): boolean };

export function toolAllowlist(patterns: readonly string[] | undefined): ToolAllowlist {
  if (patterns === undefined) return { isAllowed: () => true };
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return {
    isAllowed: (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix)),
  };
}

/**
 * Checks an allowlist's entries: each must name a built-in tool, an MCP tool (`mcp__…`) or be a
 * prefix pattern. Throws `validation_failed` naming every bad entry (`tools[1]`).
 */
export function checkAllowlist(patterns: readonly string[] | undefined): void {
  if (patterns === undefined) return;
  const issues = patterns.flatMap((pattern, index) =>
    pattern.endsWith('*') || pattern.startsWith(MCP_PREFIX) || BUILTIN_TOOL_NAMES.includes(pattern)
      ? []
      : [
          {
            path: `tools[${index}]`,
            message: `unknown tool "${pattern}" (built-in tools: ${BUILTIN_TOOL_NAMES.join(', ')}; MCP tools are mcp__<server>__<tool>)`,
          },
        ],
  );
  if (issues.length > 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `invalid harness config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
}
