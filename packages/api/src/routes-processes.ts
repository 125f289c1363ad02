import { ExecStreamEvent } from './exec.ts';
import {
  KillProcessQuery,
  ProcessList,
  ProcessParams,
  SandboxProcess,
  StartProcessBody,
} from './processes.ts';
import { defineRoute, json, ndjson } from './route.ts';
import { itemPath, NamespacedNameParams } from './routes-resources.ts';

const base = `${itemPath('Sandbox')}/processes`;
const tags = ['Sandbox'] as const;
const auth = 'required' as const;

/**
 * A sandbox's background processes: started to outlive the request (and a restart of Paddock),
 * listed, followed and killed. Their rights are exec's: whoever may use the sandbox.
 */
export const PROCESS_ROUTES = {
  listProcesses: defineRoute({
    operationId: 'listSandboxProcesses',
    method: 'GET',
    path: base,
    summary: "List the sandbox's background processes, running and ended",
    tags,
    auth,
    params: NamespacedNameParams,
    responses: [{ status: 200, description: 'The processes', content: [json(ProcessList)] }],
  }),
  startProcess: defineRoute({
    operationId: 'startSandboxProcess',
    method: 'POST',
    path: base,
    summary: 'Start a background process; it runs on after the request',
    description:
      'Answers once the process has started; follow its output with `GET …/processes/{processId}/output`. ' +
      'A running process of the same `processId` is a 409 `conflict`.',
    tags,
    auth,
    params: NamespacedNameParams,
    body: json(StartProcessBody),
    responses: [{ status: 201, description: 'The process', content: [json(SandboxProcess)] }],
  }),
  getProcess: defineRoute({
    operationId: 'getSandboxProcess',
    method: 'GET',
    path: `${base}/{processId}`,
    summary: 'Describe one background process',
    tags,
    auth,
    params: ProcessParams,
    responses: [{ status: 200, description: 'The process', content: [json(SandboxProcess)] }],
  }),
  processOutput: defineRoute({
    operationId: 'followSandboxProcess',
    method: 'GET',
    path: `${base}/{processId}/output`,
    summary: "Stream a background process's output from its start, as exec/stream does",
    description:
      'application/x-ndjson: a `started` line, `stdout`/`stderr` lines (all output since the start, ' +
      'then new output as it comes), then one `exit` line once the process ends (`durationMs` since ' +
      'its start). Closing the connection stops following; the process runs on.',
    tags,
    auth,
    params: ProcessParams,
    responses: [{ status: 200, description: 'Process events', content: [ndjson(ExecStreamEvent)] }],
  }),
  killProcess: defineRoute({
    operationId: 'killSandboxProcess',
    method: 'DELETE',
    path: `${base}/{processId}`,
    summary: 'Signal a background process (SIGKILL unless `signal` says otherwise)',
    description:
      'The signal reaches the process and every process it started. With SIGKILL the answer comes ' +
      'once it has ended; with another signal, once the signal is sent. An ended process is answered as it is.',
    tags,
    auth,
    params: ProcessParams,
    query: KillProcessQuery,
    responses: [{ status: 200, description: 'The process', content: [json(SandboxProcess)] }],
  }),
} as const;
