import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KIND_NAMES, KINDS, type FileInfo as RuntimeFileInfo, Scope } from '@paddock/core';
import type { FileInfo } from './files.ts';
import { buildPath, matchPath, pathParamNames } from './route.ts';
import { matchRoute, ROUTES, routeById } from './routes.ts';
import { APPLY_CONTENT_TYPE, RESOURCE_ROUTES } from './routes-resources.ts';

// The wire FileInfo and the runtime's must stay interchangeable (checked by tsc).
const wireToRuntime = (f: FileInfo): RuntimeFileInfo => f;
const runtimeToWire = (f: RuntimeFileInfo): FileInfo => f;
void [wireToRuntime, runtimeToWire];

function concrete(path: string): string {
  return buildPath(path, Object.fromEntries(pathParamNames(path).map((p) => [p, `x-${p}`])));
}

describe('route table', () => {
  it('has unique operationIds and unique method + path pairs', () => {
    const ids = ROUTES.map((r) => r.operationId);
    assert.equal(new Set(ids).size, ids.length);
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('declares exactly the path parameters of each template', () => {
    for (const route of ROUTES) {
      assert.deepEqual(
        Object.keys(route.params.shape).sort(),
        pathParamNames(route.path).sort(),
        route.operationId,
      );
    }
  });

  it('serves CRUD and apply for every kind at its scope path', () => {
    for (const kind of KIND_NAMES) {
      const { plural, scope } = KINDS[kind];
      const collection =
        scope === Scope.Namespaced
          ? `/api/v1/namespaces/{namespace}/${plural}`
          : `/api/v1/${plural}`;
      const expected = [
        ['list', 'GET', collection],
        ['create', 'POST', collection],
        ['get', 'GET', `${collection}/{name}`],
        ['replace', 'PUT', `${collection}/{name}`],
        ['apply', 'PATCH', `${collection}/{name}`],
        ['delete', 'DELETE', `${collection}/{name}`],
      ] as const;
      for (const [verb, method, path] of expected) {
        const route = routeById(`${verb}${kind}`);
        assert.ok(route, `${verb}${kind} missing`);
        assert.equal(route.method, method);
        assert.equal(route.path, path);
        assert.equal(route.auth, 'required');
      }
      const listAll = routeById(`list${kind}ForAllNamespaces`);
      assert.equal(listAll?.path, scope === Scope.Namespaced ? `/api/v1/${plural}` : undefined);
    }
  });

  it('validates resource bodies with the kind schema and applies with apply-patch+json', () => {
    const apply = RESOURCE_ROUTES.Sandbox.apply;
    assert.equal(apply.body?.contentType, APPLY_CONTENT_TYPE);
    assert.equal(apply.body?.schema, KINDS.Sandbox.schema);
    assert.equal(RESOURCE_ROUTES.ClusterPolicy.create.body?.schema, KINDS.ClusterPolicy.schema);
  });

  it('lists as <Kind>List with resourceVersion and continue', () => {
    const list = RESOURCE_ROUTES.Agent.list.responses[0].content[0].schema;
    const parsed = list.parse({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'AgentList',
      metadata: { resourceVersion: '7', continue: 'next' },
      items: [],
    });
    assert.equal(parsed.metadata.continue, 'next');
    assert.equal(list.safeParse({ ...parsed, kind: 'SandboxList' }).success, false);
  });

  it('has the sandbox subresources and the system routes', () => {
    const base = '/api/v1/namespaces/{namespace}/sandboxes/{name}';
    const expected: Record<string, string> = {
      stopSandbox: `POST ${base}/stop`,
      startSandbox: `POST ${base}/start`,
      pauseSandbox: `POST ${base}/pause`,
      resumeSandbox: `POST ${base}/resume`,
      execSandbox: `POST ${base}/exec`,
      execSandboxStream: `POST ${base}/exec/stream`,
      readSandboxFile: `GET ${base}/files`,
      writeSandboxFile: `PUT ${base}/files`,
      deleteSandboxFile: `DELETE ${base}/files`,
      listSandboxFiles: `GET ${base}/files/list`,
      statSandboxFile: `GET ${base}/files/stat`,
      makeSandboxDirectory: `POST ${base}/files/mkdir`,
      moveSandboxFile: `POST ${base}/files/move`,
      downloadSandboxArchive: `GET ${base}/files/archive`,
      createSandboxDownloadLink: `POST ${base}/files/download-link`,
      downloadSandboxFileByLink: `GET ${base}/files/download`,
      uploadSandboxArchive: `PUT ${base}/files/archive`,
      listSandboxPorts: `GET ${base}/ports`,
      getSandboxLogs: `GET ${base}/logs`,
      listSandboxEvents: `GET ${base}/events`,
      listSandboxProcesses: `GET ${base}/processes`,
      startSandboxProcess: `POST ${base}/processes`,
      getSandboxProcess: `GET ${base}/processes/{processId}`,
      followSandboxProcess: `GET ${base}/processes/{processId}/output`,
      killSandboxProcess: `DELETE ${base}/processes/{processId}`,
      listAuditRecords: 'GET /api/v1/audit',
      getUsage: 'GET /api/v1/usage',
      listWarmPools: 'GET /api/v1/warmpools',
      createApiKey: 'POST /api/v1/apikeys',
      listApiKeys: 'GET /api/v1/apikeys',
      revokeApiKey: 'DELETE /api/v1/apikeys/{id}',
      getCurrentUser: 'GET /api/v1/users/me',
      getOpenApiDocument: 'GET /api/v1/openapi.json',
      getHealth: 'GET /healthz',
      getReadiness: 'GET /readyz',
      getMetrics: 'GET /metrics',
      getAuthConfig: 'GET /api/v1/auth/config',
    };
    for (const [id, line] of Object.entries(expected)) {
      const route = routeById(id);
      assert.equal(route && `${route.method} ${route.path}`, line, id);
    }
    const open = [
      'getHealth',
      'getReadiness',
      'getMetrics',
      'getOpenApiDocument',
      'getAuthConfig',
      'downloadSandboxFileByLink',
    ];
    for (const id of open) {
      assert.equal(routeById(id)?.auth, 'none', id);
    }
  });

  it('matches each route, and only it, from a concrete path', () => {
    for (const route of ROUTES) {
      const { match } = matchRoute(route.method, concrete(route.path));
      assert.equal(match?.route.operationId, route.operationId, route.path);
    }
  });

  it('reports the methods a path allows when the method does not fit', () => {
    const { match, allowed } = matchRoute('POST', '/api/v1/namespaces/default/sandboxes/a/files');
    assert.equal(match, undefined);
    assert.deepEqual(allowed.sort(), ['DELETE', 'GET', 'PUT']);
    assert.deepEqual(matchRoute('GET', '/api/v1/nothing'), { match: undefined, allowed: [] });
  });

  it('decodes parameters and refuses empty segments', () => {
    assert.deepEqual(matchPath('/a/{name}/b', '/a/x%2Fy/b'), { name: 'x/y' });
    assert.equal(matchPath('/a/{name}/b', '/a//b'), undefined);
    assert.equal(matchPath('/a/{name}', '/a/%E0%A4%A'), undefined);
    assert.throws(() => buildPath('/a/{name}', {}), /missing path parameter "name"/);
  });
});
