/**
 * The one way `paddock cluster` runs external programs (k3d, docker, git, helm): argv, cwd, env and
 * a timeout in, exit code and output back. A program that is not installed fails with
 * `runtime_unavailable` naming the tool and how to install it; a program that exits non-zero fails
 * the same way with its last output. Tests use `RecordingRunner`, which records each invocation and
 * answers from a script.
 */
import { spawn } from 'node:child_process';
import { ErrorCode, PaddockError } from '@paddock/core';

export const Tool = {
  K3d: 'k3d',
  Docker: 'docker',
  Git: 'git',
  Helm: 'helm',
  Kubectl: 'kubectl',
} as const;
export type Tool = (typeof Tool)[keyof typeof Tool];

/** How to install each tool, shown when it is missing. */
export const INSTALL_HINTS: Record<Tool, string> = {
  k3d: 'install k3d (https://k3d.io/#installation), e.g. `curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | bash`',
  docker:
    'install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, and start it',
  git: 'install git (https://git-scm.com/downloads), e.g. `apt-get install git` or `brew install git`',
  helm: 'install Helm 3 (https://helm.sh/docs/intro/install/), e.g. `brew install helm`',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/)',
};

export type ToolInvocation = {
  tool: Tool;
  args: readonly string[];
  cwd?: string;
  /** Added to the environment of this process. */
  env?: Readonly<Record<string, string>>;
  /** Killed (SIGTERM) after this long; default 10 minutes. */
  timeoutMs?: number;
  /** Written to the program's stdin, then closed. */
  stdin?: string;
};

export type ToolResult = { exitCode: number; stdout: string; stderr: string };

export type ToolRunner = {
  /** Runs the tool; rejects with `runtime_unavailable` when it is missing or exits non-zero. */
  run(invocation: ToolInvocation): Promise<ToolResult>;
  /** Runs the tool and resolves with its result whatever the exit code (missing: still rejects). */
  tryRun(invocation: ToolInvocation): Promise<ToolResult>;
};

export function toolMissing(tool: Tool): PaddockError {
  return new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `${tool} not found on PATH: ${INSTALL_HINTS[tool]}`,
    {
      tool,
      hint: INSTALL_HINTS[tool],
    },
  );
}

function toolFailed(invocation: ToolInvocation, result: ToolResult): PaddockError {
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-10).join('\n');
  return new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `${invocation.tool} ${invocation.args.join(' ')} exited with ${result.exitCode}${output ? `: ${output}` : ''}`,
    { tool: invocation.tool, exitCode: result.exitCode },
  );
}

function checked(
  runner: Pick<ToolRunner, 'tryRun'>,
): (invocation: ToolInvocation) => Promise<ToolResult> {
  return async (invocation) => {
    const result = await runner.tryRun(invocation);
    if (result.exitCode !== 0) throw toolFailed(invocation, result);
    return result;
  };
}

/** Runs the real programs found on PATH. */
export function processRunner(): ToolRunner {
  const tryRun = (invocation: ToolInvocation) =>
    new Promise<ToolResult>((resolve, reject) => {
      const child = spawn(invocation.tool, [...invocation.args], {
        cwd: invocation.cwd,
        env: { ...process.env, ...invocation.env },
        stdio: [invocation.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      // Not spawn's own `timeout`: its timer outlives a spawn that failed (ENOENT).
      let isTimedOut = false;
      const timer = setTimeout(() => {
        isTimedOut = true;
        child.kill('SIGTERM');
      }, invocation.timeoutMs ?? 600_000);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error.code === 'ENOENT' ? toolMissing(invocation.tool) : error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (isTimedOut) {
          reject(
            new PaddockError(
              ErrorCode.Timeout,
              `${invocation.tool} ${invocation.args.join(' ')} did not finish in ${invocation.timeoutMs ?? 600_000} ms`,
            ),
          );
          return;
        }
        resolve({ exitCode: code ?? 1, stdout, stderr });
      });
      // A program may exit before reading its input: that is its answer, not an error here.
      child.stdin?.on('error', () => {});
      child.stdin?.end(invocation.stdin);
    });
  const runner = { tryRun };
  return { tryRun, run: checked(runner) };
}

/** An answer of the script: a result, or a function of the invocation (it may write files). */
export type ScriptedAnswer =
  | Partial<ToolResult>
  | ((invocation: ToolInvocation) => Partial<ToolResult> | Promise<Partial<ToolResult>>);

export type ScriptRule = {
  /** The tool and the leading words of its argv this rule answers. */
  tool: Tool;
  prefix?: readonly string[];
  answer: ScriptedAnswer;
};

/**
 * Records every invocation in order and answers from the script: the first rule whose tool and
 * argv prefix match; an invocation no rule matches answers exit 0 with no output, unless its tool
 * is in `passThrough` (then the real program runs, still recorded). Tools in `missing` fail as a
 * missing program would.
 */
export class RecordingRunner implements ToolRunner {
  readonly invocations: ToolInvocation[] = [];
  readonly #rules: ScriptRule[];
  readonly #missing: ReadonlySet<Tool>;
  readonly #passThrough: ReadonlySet<Tool>;
  readonly #real = processRunner();
  readonly run: (invocation: ToolInvocation) => Promise<ToolResult>;

  constructor(
    rules: ScriptRule[] = [],
    options: { missing?: readonly Tool[]; passThrough?: readonly Tool[] } = {},
  ) {
    this.#rules = rules;
    this.#missing = new Set(options.missing ?? []);
    this.#passThrough = new Set(options.passThrough ?? []);
    this.run = checked(this);
  }

  /** Each invocation as one line, `tool arg arg…`, for comparing against the expected calls. */
  get lines(): string[] {
    return this.invocations.map((i) => [i.tool, ...i.args].join(' '));
  }

  async tryRun(invocation: ToolInvocation): Promise<ToolResult> {
    this.invocations.push(invocation);
    if (this.#missing.has(invocation.tool)) throw toolMissing(invocation.tool);
    const rule = this.#rules.find(
      (r) =>
        r.tool === invocation.tool &&
        (r.prefix ?? []).every((word, index) => invocation.args[index] === word),
    );
    if (rule === undefined && this.#passThrough.has(invocation.tool)) {
      return this.#real.tryRun(invocation);
    }
    const answer =
      rule === undefined
        ? {}
        : typeof rule.answer === 'function'
          ? await rule.answer(invocation)
          : rule.answer;
    return {
      exitCode: answer.exitCode ?? 0,
      stdout: answer.stdout ?? '',
      stderr: answer.stderr ?? '',
    };
  }
}
