import {
  parseDurationMs,
  type Repo,
  type SandboxEnvironment,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';
import { runToCompletion } from './run-to-completion.ts';

/** The id of the template's main process among the sandbox's background processes. */
export const MAIN_PROCESS_ID = 'main';

export type StepRecord = (step: string, message: string) => void | Promise<void>;

export type ProvisionStepFailure = { step: string; exitCode?: number; output?: string };

const OUTPUT_TAIL_CHARS = 2000;

function repoPath(url: string, path: string | undefined): string {
  if (path) return path.startsWith('/') ? path : `/workspace/${path}`;
  const last = url.replace(/\/+$/, '').split('/').pop() ?? 'repo';
  return `/workspace/${last.replace(/\.git$/, '') || 'repo'}`;
}

/**
 * Clones each repo into the sandbox's workspace (`path` relative to /workspace, else named after
 * the URL), recording each; the first failing clone is returned with its exit code and output.
 */
export async function cloneRepos(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  repos: readonly Repo[],
  record: StepRecord,
): Promise<ProvisionStepFailure | undefined> {
  for (const repo of repos) {
    const target = repoPath(repo.url, repo.path);
    const step = `repo ${repo.url}`;
    // A repo already cloned there (a retried step) is left as it is.
    const command = [
      'sh',
      '-c',
      'target="$1"; shift; [ -d "$target/.git" ] && exit 0; exec git clone --quiet "$@" "$target"',
      'paddock-clone',
      target,
      ...(repo.ref ? ['--branch', repo.ref] : []),
      '--',
      repo.url,
    ];
    const result = await runToCompletion(runtime, ref, { command, cwd: '/workspace' });
    if (result.exitCode !== 0) {
      return { step, ...exitCodeOf(result.exitCode), output: tail(result.stderr || result.stdout) };
    }
    await record(step, `cloned ${repo.url} into ${target}`);
  }
  return undefined;
}

/** Whether the template has steps for `applyProvisioningSteps` (files, repos, init scripts). */
export function hasProvisioningSteps(spec: SandboxEnvironment): boolean {
  return Boolean(spec.files?.length || spec.repos?.length || spec.init?.length);
}

/**
 * Applies a resolved template to a freshly provisioned sandbox, in order: files written, repos
 * cloned, init scripts run. Each step is recorded; the first failing step stops provisioning and
 * is returned with its exit code and the tail of its output.
 */
export async function applyProvisioningSteps(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  spec: SandboxEnvironment,
  record: StepRecord,
): Promise<ProvisionStepFailure | undefined> {
  for (const file of spec.files ?? []) {
    const step = `file ${file.path}`;
    try {
      const mode = file.mode === undefined ? undefined : Number.parseInt(file.mode, 8);
      await runtime.files.write(
        ref,
        file.path,
        new TextEncoder().encode(file.content),
        mode === undefined ? {} : { mode },
      );
    } catch (error) {
      return { step, output: (error as Error).message };
    }
    await record(step, `wrote ${file.path}`);
  }
  const cloned = await cloneRepos(runtime, ref, spec.repos ?? [], record);
  if (cloned) return cloned;
  for (const init of spec.init ?? []) {
    const step = `init ${init.name}`;
    const timeoutMs = init.timeout ? parseDurationMs(init.timeout) : 0;
    const result = await runToCompletion(runtime, ref, {
      command: init.command,
      cwd: spec.workingDir ?? '/workspace',
      ...(timeoutMs > 0 ? { timeoutMs } : {}),
    });
    if (result.exitCode !== 0) {
      const output = result.timedOut
        ? `timed out after ${init.timeout}`
        : tail(`${result.stdout}${result.stderr}`);
      return { step, ...exitCodeOf(result.exitCode), output };
    }
    await record(step, `ran ${init.command.join(' ')}`);
  }
  return undefined;
}

/** Starts the template's main command as a background process whose output is the sandbox log. */
export async function startMainProcess(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  spec: SandboxEnvironment,
): Promise<void> {
  if (!spec.command) return;
  const running = await runtime.listProcesses(ref);
  if (running.some((p) => p.id === MAIN_PROCESS_ID && p.running)) return;
  const env = Object.fromEntries((spec.env ?? []).map((e) => [e.name, e.value]));
  const handle = await runtime.exec(ref, {
    command: spec.command,
    env,
    cwd: spec.workingDir ?? '/workspace',
    background: true,
    processId: MAIN_PROCESS_ID,
  });
  await handle.stdin.close().catch(() => {});
  void handle.stdout.cancel().catch(() => {});
  void handle.stderr.cancel().catch(() => {});
}

function exitCodeOf(code: number | null): { exitCode?: number } {
  return code === null ? {} : { exitCode: code };
}

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? text.slice(-OUTPUT_TAIL_CHARS) : text;
}
