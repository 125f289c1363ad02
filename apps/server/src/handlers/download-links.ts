import { buildPath, type DownloadKind, SANDBOX_ROUTES } from '@paddock/api';
import { type Principal, readyWorkspace } from '@paddock/control';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { on, type RouteHandler } from '../http/router.ts';
import { type DownloadLinkSigner, LinkProblem, linkRefused } from './download-link-token.ts';
import { sendArchive, sendFile } from './sandbox-file-send.ts';

/** What the download link routes need of the server: the signer, and the re-check of a signer. */
export type DownloadLinks = {
  signer: DownloadLinkSigner;
  /** The API's re-check of a principal a credential of ours carried (`Authenticator.confirm`). */
  confirm(principal: Principal): Promise<Principal>;
};

/** The name a download is saved under: the path's last name, `.tar` added for an archive. */
export function downloadFilename(path: string, kind: DownloadKind, sandbox: string): string {
  const base = path.replace(/\/+$/, '').split('/').at(-1) || sandbox;
  return kind === 'archive' ? `${base}.tar` : base;
}

/** RFC 5987 `attr-char`s stay; every other byte of the UTF-8 name is percent-encoded. */
const encodeExtValue = (name: string) =>
  encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * `Content-Disposition: attachment` for `filename` (RFC 6266): an ASCII `filename` for old
 * clients (anything else, quotes, backslashes and `%` become `_`) and the exact name, UTF-8 and
 * percent-encoded, in `filename*` (RFC 5987), which browsers prefer.
 */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(filename)}`;
}

/** A refusal of the link's signer (revoked or expired key, a run token) as the link's own 403. */
function signerRefused(error: unknown): unknown {
  const isRefusal =
    isPaddockError(error, ErrorCode.Unauthenticated) || isPaddockError(error, ErrorCode.Forbidden);
  if (!isRefusal) return error;
  return linkRefused(
    LinkProblem.SignerRefused,
    `the credential that signed this download link is no longer accepted: ${error.message}`,
  );
}

/**
 * Signed download links: `POST …/files/download-link` signs one for the caller (who must be able
 * to use the sandbox, and the path must exist; a directory only as an archive), and
 * `GET …/files/download?token=` streams it with no Authorization header, after re-checking the
 * signer's credential and their access to the sandbox (the same rules as every files route).
 */
export const downloadLinkHandlers: RouteHandler[] = [
  on(SANDBOX_ROUTES.downloadLink, async (call, { params, body }) => {
    call.ctx.audit.details = { path: body.path, kind: body.kind };
    const { engine } = call.deps;
    const { sandbox, ref } = await readyWorkspace(engine.store, call.principal, params, {
      signal: call.deps.shutdown,
    });
    const info = await engine.runtime.files.stat(ref, body.path);
    if (body.kind === 'file' && info.type === 'directory') {
      const message = `${body.path} is a directory: ask for kind "archive" to download it as a tar archive`;
      throw new PaddockError(ErrorCode.ValidationFailed, message, {
        issues: [{ path: 'kind', message }],
      });
    }
    const scope = { ...params, uid: sandbox.metadata.uid ?? '', path: body.path, kind: body.kind };
    const signed = call.deps.downloadLinks.signer.sign(call.principal, scope, Date.now());
    const route = SANDBOX_ROUTES.downloadByLink;
    return {
      type: 'json',
      status: 200,
      body: {
        url: `${buildPath(route.path, params)}?${new URLSearchParams({ token: signed.token })}`,
        expiresAt: new Date(signed.exp).toISOString(),
        path: body.path,
        kind: body.kind,
        filename: downloadFilename(body.path, body.kind, params.name),
      },
    };
  }),
  on(SANDBOX_ROUTES.downloadByLink, async (call, { params, query }) => {
    const links = call.deps.downloadLinks;
    const { principal: signer, scope } = links.signer.verify(query.token, params, Date.now());
    call.ctx.audit.details = { path: scope.path, kind: scope.kind };
    const principal = await links.confirm(signer).catch((error: unknown) => {
      throw signerRefused(error);
    });
    call.ctx.principal = principal;
    // As on the authenticated routes: revoking the key or unsharing cuts a download under way.
    call.res.once('close', call.deps.keyConnections.bind(principal, call.req.socket));
    call.res.once('close', call.deps.sandboxConnections.bind(principal, params, call.req.socket));
    const { sandbox, ref } = await readyWorkspace(call.deps.engine.store, principal, params, {
      signal: call.deps.shutdown,
    });
    if ((sandbox.metadata.uid ?? '') !== scope.uid) {
      throw linkRefused(
        LinkProblem.SandboxReplaced,
        `this download link is for an earlier sandbox ${params.namespace}/${params.name}, deleted since`,
      );
    }
    const headers = {
      'content-disposition': contentDisposition(
        downloadFilename(scope.path, scope.kind, params.name),
      ),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    return scope.kind === 'archive'
      ? sendArchive(call, ref, scope.path, headers)
      : sendFile(call, ref, scope.path, headers);
  }),
];
