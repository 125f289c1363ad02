/**
 * Prompts for common tasks: each gives a model the steps and the tools (by name) to take them.
 * They hold no data of their own; the tools read everything as the caller when the model calls
 * them.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { RUN_TRANSCRIPT_TEMPLATE } from './resources.ts';

/** The tools each prompt tells a model to call (a test checks that each exists). */
export const PROMPT_TOOLS = {
  debug_failed_run: ['run_status', 'run_events', 'sandbox_logs', 'sandbox_exec', 'agent_get'],
  create_sandbox_for_repo: [
    'template_list',
    'template_resolve',
    'sandbox_create',
    'sandbox_exec',
    'sandbox_list_files',
    'sandbox_read_file',
  ],
} as const;

const Name = z.string().min(1).max(253);

export const DebugFailedRunArgs = {
  namespace: Name.describe('The run\'s namespace ("default" for most)'),
  run: Name.describe('The name of the run that failed'),
};

export const CreateSandboxForRepoArgs = {
  repo: z.string().min(1).max(2048).describe('The repository to clone (an https or git URL)'),
  template: Name.describe(
    'The template to start from (a SandboxTemplate or ClusterSandboxTemplate name)',
  ),
};

function userText(text: string): GetPromptResult['messages'][number] {
  return { role: 'user', content: { type: 'text', text } };
}

export function debugFailedRunPrompt(args: { namespace: string; run: string }): GetPromptResult {
  const { namespace, run } = args;
  const transcript = RUN_TRANSCRIPT_TEMPLATE.replace('{namespace}', namespace).replace(
    '{name}',
    run,
  );
  return {
    description: `Find out why run ${namespace}/${run} failed`,
    messages: [
      userText(
        [
          `The Paddock run "${run}" in namespace "${namespace}" did not succeed. Find out why and tell me how to fix it.`,
          '',
          'Work through it with the Paddock tools:',
          `1. Call run_status with {"namespace": "${namespace}", "name": "${run}"}: its phase (Failed, Cancelled, BudgetExceeded, TimedOut), reason, message, usage and the sandbox it ran in.`,
          `2. Call run_events with the same arguments (and "after", the last seq you saw, to page on) to read the transcript; the last error, tool.result and run.finished events usually say what went wrong. The whole transcript is also the resource ${transcript}.`,
          "3. If the run had a sandbox, call sandbox_logs on it for the harness's own output, and sandbox_exec (read-only commands such as `ls`, `cat`, `git status`) to inspect what the agent left behind.",
          "4. If the cause looks like the agent's configuration (model, budget, tools, credentials), call agent_get on the run's agent.",
          '',
          'Then answer with: what failed (quote the decisive event or log line), why, and the smallest change that fixes it (a prompt, the agent, the template, a budget or a policy). Do not change or delete anything unless I ask.',
        ].join('\n'),
      ),
    ],
  };
}

export function createSandboxForRepoPrompt(args: {
  repo: string;
  template: string;
}): GetPromptResult {
  const { repo, template } = args;
  return {
    description: `Create a sandbox from ${template} with ${repo} checked out`,
    messages: [
      userText(
        [
          `Create a Paddock sandbox for working on the repository ${repo}, starting from the template "${template}".`,
          '',
          'Steps, with the Paddock tools:',
          `1. Call template_resolve for "${template}" (template_list if it is not found, then pick the closest and say so) and check that it has git and network egress that reaches the repository's host.`,
          `2. Call sandbox_create from that template with a short name derived from the repository (lowercase letters, digits and dashes). It reports progress and returns once the sandbox is Running; if it ends in Error, report its reason and message and stop.`,
          `3. Call sandbox_exec to clone it: command ["git", "clone", "--depth", "1", "${repo}", "/workspace/repo"] with timeoutMs 300000.`,
          '4. Call sandbox_list_files on /workspace/repo and read the README and the build files (package.json, pyproject.toml, go.mod, Makefile…) with sandbox_read_file to find how to install dependencies; run that install with sandbox_exec.',
          '',
          "Answer with the sandbox's namespace and name, what was installed, and the commands to build and test the project in it.",
        ].join('\n'),
      ),
    ],
  };
}

/** Registers the prompts on `server`. */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'debug_failed_run',
    {
      title: 'Debug a failed run',
      description:
        'Investigate why an agent run failed: read its status, transcript, sandbox logs and agent, then explain the cause and the fix.',
      argsSchema: DebugFailedRunArgs,
    },
    (args) => debugFailedRunPrompt(args),
  );
  server.registerPrompt(
    'create_sandbox_for_repo',
    {
      title: 'Create a sandbox for a repository',
      description:
        'Create a sandbox from a template, clone a repository into /workspace/repo and install its dependencies.',
      argsSchema: CreateSandboxForRepoArgs,
    },
    (args) => createSandboxForRepoPrompt(args),
  );
}
