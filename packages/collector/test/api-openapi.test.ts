// The OpenAPI document served at /openapi.json, walked against the routes the collector really registered and
// against the live server: every API route is documented, every documented operation exists and answers as
// documented without a token (401 with WWW-Authenticate where it says bearer, no 404/405 anywhere).
import test from 'ava';
import { registeredRoutes } from '../src/api/app.js';
import { startTestCollector, type TestCollector } from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector({ alerts: { schedule: '0 0 1 1 *' } });
});
test.after.always(async () => {
  await tc?.close();
});

interface Operation {
  security?: { bearer: string[] }[];
  responses: Record<string, unknown>;
  parameters?: { in: string; name: string }[];
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

const API = /^\/(v1\/|healthz$|readyz$|metrics$|openapi\.json$)/;
const toFastify = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');

async function doc(): Promise<OpenApiDoc> {
  const res = await fetch(tc.url + '/openapi.json');
  if (res.status !== 200) throw new Error(`openapi.json: HTTP ${res.status}`);
  return (await res.json()) as OpenApiDoc;
}

test('the document is OpenAPI 3, names the collector version, and lists exactly the registered API routes', async (t) => {
  const d = await doc();
  t.regex(d.openapi, /^3\.\d+\.\d+$/);
  t.is(d.info.version, '0.1.0');
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(d.paths)) {
    for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${toFastify(path)}`);
  }
  const registered = new Set<string>();
  for (const [path, methods] of registeredRoutes(tc.collector.app)) {
    if (!API.test(path) || path === '/v1/agent') continue;
    for (const m of methods) if (m !== 'HEAD') registered.add(`${m} ${path}`);
  }
  t.true(registered.size >= 20, `${registered.size} API routes registered`);
  t.deepEqual([...documented].sort(), [...registered].sort());
  t.false(
    [...documented].some((k) => k.includes(' /login') || k === 'GET /'),
    'dashboard pages are not API',
  );
});

test('every documented operation answers without a token as documented: 401 + WWW-Authenticate, never 404/405', async (t) => {
  const d = await doc();
  let walked = 0;
  for (const [path, ops] of Object.entries(d.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const url = tc.url + path.replace(/\{\w+\}/g, 'no-such-id');
      const res = await fetch(url, {
        method: method.toUpperCase(),
        ...(method === 'post' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      await res.arrayBuffer();
      walked++;
      const where = `${method.toUpperCase()} ${path}`;
      if (op.security?.some((s) => 'bearer' in s)) {
        t.is(res.status, 401, where);
        t.regex(res.headers.get('www-authenticate') ?? '', /^Bearer /, where);
        t.truthy(op.responses['401'], `${where} documents its 401`);
      } else {
        t.false([401, 404, 405].includes(res.status), `${where} answered ${res.status}`);
      }
    }
  }
  t.true(walked >= 20);
});

test('documented path parameters match the route pattern, and bodies/queries come from the zod schemas', async (t) => {
  const d = await doc();
  const detail = d.paths['/v1/machines/{id}']?.get;
  t.deepEqual(
    detail?.parameters?.map((p) => [p.in, p.name]),
    [['path', 'id']],
  );
  const list = d.paths['/v1/machines']?.get;
  t.deepEqual(list?.parameters?.map((p) => p.name).sort(), ['cursor', 'limit', 'q', 'status', 'wsus']);
  const create = d.paths['/v1/tokens']?.post as unknown as {
    requestBody: { content: Record<string, { schema: { required: string[] } }> };
  };
  t.deepEqual(create.requestBody.content['application/json']?.schema.required, ['name']);
});
