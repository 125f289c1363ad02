// Every REST operation of the route table, called as alice (owner), bob (other), carol (shared),
// an admin and with no token, each outcome checked against AUTHZ_MATRIX. A route without a row,
// or a row without a route, fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AnyRoute, buildPath, ROUTES, routeById } from '@paddock/api';
import { bwrapSkipReason } from '@paddock/testkit';
import {
  type AuthzWorld,
  type JsonValue,
  NS,
  ROLES,
  type Role,
  startAuthzWorld,
} from './authz-fixtures.ts';
import { AUTHZ_MATRIX, type Outcome, operationOf } from './authz-matrix.ts';
import { AUTHZ_REQUESTS, type CallSpec } from './authz-requests.ts';

type Answer = { status: number; code: string | undefined; body: JsonValue };

async function send(fx: AuthzWorld, route: AnyRoute, role: Role, spec: CallSpec): Promise<Answer> {
  const query = new URLSearchParams(spec.query ?? {}).toString();
  const path = buildPath(route.path, { namespace: NS, ...spec.params });
  const contentType =
    route.body === undefined
      ? undefined
      : route.body.type === 'json'
        ? (route.body.contentType ?? 'application/json')
        : 'contentType' in route.body
          ? route.body.contentType
          : undefined;
  const res = await fx.call(role, query === '' ? path : `${path}?${query}`, {
    method: route.method,
    ...(spec.body === undefined ? {} : { body: spec.body }),
    ...(spec.bytes === undefined ? {} : { bytes: spec.bytes }),
    ...(contentType === undefined ? {} : { contentType }),
  });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.startsWith('application/json') ?? false;
  const body = isJson && text !== '' ? JSON.parse(text) : text;
  return { status: res.status, code: isJson ? body?.error?.code : undefined, body };
}

const describeOutcome = (o: Outcome | Answer) => `${o.status}${o.code ? ` ${o.code}` : ''}`;

describe('authorization of every REST operation', {
  skip: bwrapSkipReason(),
  timeout: 600_000,
}, () => {
  let fx: AuthzWorld;
  before(async () => {
    fx = await startAuthzWorld();
  });
  after(async () => {
    await fx?.close();
  });

  it('has a row for every operation of the route table and none for an unknown one', () => {
    const operations = new Set(ROUTES.map((route) => route.operationId));
    const keys = Object.keys(AUTHZ_MATRIX);
    const covered = new Set(keys.map(operationOf));
    assert.deepEqual(
      [...operations].filter((op) => !covered.has(op)),
      [],
      'operations without a row',
    );
    assert.deepEqual(
      keys.filter((key) => !operations.has(operationOf(key))),
      [],
      'rows naming no operation',
    );
    assert.deepEqual(Object.keys(AUTHZ_REQUESTS).sort(), [...keys].sort(), 'a request per row');
    for (const key of keys) {
      const hasList = AUTHZ_MATRIX[key]?.listed !== undefined;
      assert.equal(hasList, AUTHZ_REQUESTS[key]?.includes !== undefined, `${key}: listed`);
      // No token: refused exactly where the route table says a token is required.
      const anonymous = AUTHZ_MATRIX[key]?.expect.anonymous;
      const isOpen = routeById(operationOf(key))?.auth === 'none';
      assert.equal(anonymous?.status === 401, !isOpen, `${key}: anonymous`);
    }
  });

  for (const [key, row] of Object.entries(AUTHZ_MATRIX)) {
    it(key, async () => {
      const route = routeById(operationOf(key));
      const request = AUTHZ_REQUESTS[key];
      assert.ok(route && request, `${key}: no route or no request`);
      const specs = await Promise.all(ROLES.map((role) => request.make(fx, role)));
      const answers = await Promise.all(
        ROLES.map((role, i) => send(fx, route, role, specs[i] ?? {})),
      );
      const wrong: string[] = [];
      for (const [i, role] of ROLES.entries()) {
        const want = row.expect[role];
        const got = answers[i];
        if (got === undefined) continue;
        if (got.status !== want.status || (want.code !== undefined && got.code !== want.code)) {
          const body = typeof got.body === 'string' ? got.body : JSON.stringify(got.body);
          wrong.push(
            `${role}: want ${describeOutcome(want)}, got ${describeOutcome(got)} ${body.slice(0, 200)}`,
          );
          continue;
        }
        if (row.listed !== undefined && role !== 'anonymous') {
          const isListed = request.includes?.(got.body, fx);
          if (isListed !== row.listed[role]) {
            wrong.push(`${role}: alice's object ${isListed ? 'listed' : 'missing'}`);
          }
        }
      }
      assert.deepEqual(wrong, [], `${route.method} ${route.path}\n${wrong.join('\n')}`);
    });
  }
});
