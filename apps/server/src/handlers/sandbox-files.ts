import { SANDBOX_ROUTES } from '@paddock/api';
import { readyWorkspace } from '@paddock/control';
import type { FileInfo } from '@paddock/core';
import { invalidBody } from '../http/body.ts';
import { empty, json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';
import { inspectTar } from '../tar-archive.ts';
import { downloadLinkHandlers } from './download-links.ts';
import { sendArchive, sendFile } from './sandbox-file-send.ts';

type Params = { namespace: string; name: string };

/** The sandbox's handle; one its idle timeout put to sleep is woken and the request held meanwhile. */
async function refFor(call: HandlerCall, params: Params, path: string) {
  call.ctx.audit.details = { path };
  const { engine } = call.deps;
  return (
    await readyWorkspace(engine.store, call.principal, params, {
      signal: call.deps.shutdown,
    })
  ).ref;
}

const wire = (info: FileInfo) => ({ ...info });

/** Files of a sandbox; confinement (`path_outside_sandbox`) is the runtime's. */
export const fileHandlers: RouteHandler[] = [
  on(SANDBOX_ROUTES.readFile, async (call, { params, query }) =>
    sendFile(call, await refFor(call, params, query.path), query.path),
  ),
  on(
    SANDBOX_ROUTES.writeFile,
    async (call, { params, query, body }) => {
      const ref = await refFor(call, params, query.path);
      const { files } = call.deps.engine.runtime;
      await files.write(
        ref,
        query.path,
        body,
        query.mode === undefined ? {} : { mode: query.mode },
      );
      return json(wire(await files.stat(ref, query.path)));
    },
    { action: 'sandbox.files.write' },
  ),
  on(
    SANDBOX_ROUTES.removeFile,
    async (call, { params, query }) => {
      const ref = await refFor(call, params, query.path);
      await call.deps.engine.runtime.files.remove(ref, query.path, {
        recursive: query.recursive ?? false,
      });
      return empty(204);
    },
    { action: 'sandbox.files.delete' },
  ),
  on(SANDBOX_ROUTES.listFiles, async (call, { params, query }) => {
    const ref = await refFor(call, params, query.path);
    const items = await call.deps.engine.runtime.files.list(ref, query.path);
    return json({ path: query.path, items: items.map(wire) });
  }),
  on(SANDBOX_ROUTES.statFile, async (call, { params, query }) => {
    const ref = await refFor(call, params, query.path);
    return json(wire(await call.deps.engine.runtime.files.stat(ref, query.path)));
  }),
  on(
    SANDBOX_ROUTES.mkdir,
    async (call, { params, body }) => {
      const ref = await refFor(call, params, body.path);
      const { files } = call.deps.engine.runtime;
      await files.mkdir(ref, body.path);
      return json(wire(await files.stat(ref, body.path)), 201);
    },
    { action: 'sandbox.files.mkdir' },
  ),
  on(
    SANDBOX_ROUTES.move,
    async (call, { params, body }) => {
      const ref = await refFor(call, params, body.from);
      call.ctx.audit.details = { from: body.from, to: body.to };
      const { files } = call.deps.engine.runtime;
      await files.move(ref, body.from, body.to);
      return json(wire(await files.stat(ref, body.to)));
    },
    { action: 'sandbox.files.move' },
  ),
  on(SANDBOX_ROUTES.downloadArchive, async (call, { params, query }) =>
    sendArchive(call, await refFor(call, params, query.path), query.path),
  ),
  on(
    SANDBOX_ROUTES.uploadArchive,
    async (call, { params, query, body }) => {
      const ref = await refFor(call, params, query.path);
      // Checked whole before extraction starts, so a bad archive leaves nothing half-written.
      const inspection = inspectTar(body);
      if ('problem' in inspection) throw invalidBody(inspection.problem);
      await call.deps.engine.runtime.files.upload(ref, query.path, new Blob([body]).stream());
      return empty(204);
    },
    { action: 'sandbox.files.upload' },
  ),
  ...downloadLinkHandlers,
];
