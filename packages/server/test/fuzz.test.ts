/**
 * Property-based fuzzing of every route in the OpenAPI document: random
 * bodies, wrong types, unknown fields, invalid UTF-8, huge strings and
 * injection strings, with and without credentials. Nothing may answer 5xx,
 * and every refusal is application/problem+json.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildTestApp, type TestApp } from './app.ts';
import { adminSession, authHeaders, issueToken, type Session } from './auth-helpers.ts';

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
}

const NASTY = [
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '%00',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\u0000',
  'محمد علی',
  '𝕂𝕠𝕥𝕨𝕒𝕝',
  'a'.repeat(100_000),
  '-1',
  '1e309',
  'NaN',
  'null',
];

const nasty = fc.constantFrom(...NASTY);
const anyValue = fc.oneof(fc.jsonValue(), nasty, fc.string(), fc.integer(), fc.boolean(), fc.constant(null));

function bodyFor(op: Operation): fc.Arbitrary<{ raw: Buffer | string; type: string }> {
  const props = Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {});
  const shaped = fc
    .record(Object.fromEntries(props.map((p) => [p, anyValue])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] })
    .chain((o) =>
      fc
        .record({ extra: fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), anyValue)) })
        .map(({ extra }) => (extra ? { ...o, [extra[0]]: extra[1] } : o)),
    );
  return fc.oneof(
    shaped.map((o) => ({ raw: JSON.stringify(o), type: 'application/json' })),
    fc.jsonValue().map((v) => ({ raw: JSON.stringify(v), type: 'application/json' })),
    fc.string().map((s) => ({ raw: s, type: 'application/json' })),
    fc
      .uint8Array({ minLength: 1, maxLength: 64 })
      .map((b) => ({ raw: Buffer.concat([Buffer.from('{"a":"'), Buffer.from(b), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), type: 'application/json' })),
    fc.constant({ raw: '{"__proto__": {"admin": true}}', type: 'application/json' }),
    fc.constant({ raw: 'x'.repeat(2 * 1024 * 1024), type: 'application/json' }),
    fc.string().map((s) => ({ raw: s, type: 'text/plain' })),
    fc.string().map((s) => ({ raw: s, type: 'application/x-www-form-urlencoded' })),
  );
}

function queryFor(op: Operation): fc.Arbitrary<string> {
  const names = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  return fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...(names.length ? names : ['q'])), fc.string({ maxLength: 8 })),
        fc.oneof(nasty, fc.string(), fc.integer().map(String)),
      ),
      {
        maxLength: 5,
      },
    )
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
}

const pathValue = fc.oneof(
  nasty.map((s) => s.slice(0, 300)),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.integer().map(String),
  fc.uuid(),
);

describe('fuzz every route in the OpenAPI document', () => {
  let t: TestApp;
  let admin: Session;
  let token: string;
  before(async () => {
    t = await buildTestApp();
    admin = await adminSession(t);
    token = await issueToken(t, admin, ['users.read', 'roles.read', 'tokens.read', 'ledger.read', 'auth.self', 'system.metrics']);
  });
  after(async () => t.close());

  it('never answers 5xx, and every refusal is problem+json', async () => {
    const doc = t.app.swagger() as unknown as OpenApiDoc;
    const runs = Number(process.env['KOTWAL_FUZZ_RUNS'] ?? 30);
    let requests = 0;
    const statuses = new Map<number, number>();
    for (const [p, methods] of Object.entries(doc.paths)) {
      if (p.startsWith('/api/docs')) continue;
      for (const [method, op] of Object.entries(methods)) {
        // Logging out would end the session the fuzzer uses.
        if (p === '/api/v1/auth/logout') continue;
        await fc.assert(
          fc.asyncProperty(
            fc.array(pathValue, { minLength: 4, maxLength: 4 }),
            queryFor(op),
            bodyFor(op),
            fc.constantFrom<'none' | 'session' | 'token' | 'forged'>('none', 'session', 'token', 'forged'),
            async (params, query, body, auth) => {
              let i = 0;
              const url = p.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++ % params.length])) + (query ? `?${query}` : '');
              const headers: Record<string, string> = {};
              if (auth === 'session') Object.assign(headers, authHeaders(admin));
              if (auth === 'token') headers['authorization'] = `Bearer ${token}`;
              if (auth === 'forged') headers['cookie'] = 'kotwal_session=forged-session-value';
              const hasBody = !['get', 'head', 'delete'].includes(method);
              if (hasBody) headers['content-type'] = body.type;
              const res = await t.app.inject({ method: method.toUpperCase() as 'POST', url, headers, ...(hasBody ? { payload: body.raw } : {}) });
              requests++;
              statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
              assert.ok(res.statusCode < 500, `${method.toUpperCase()} ${url.slice(0, 200)} (${auth}) answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
              if (res.statusCode >= 400) {
                assert.match(
                  String(res.headers['content-type']),
                  /application\/problem\+json/,
                  `${method.toUpperCase()} ${p} ${res.statusCode} is not problem+json`,
                );
                const pb = res.json<{ type?: string; status?: number }>();
                assert.equal(pb.status, res.statusCode);
                assert.ok(pb.type?.startsWith('https://kotwal.dev/problems/'));
              }
            },
          ),
          { numRuns: runs },
        );
      }
    }
    assert.ok(requests > 100, `only ${requests} requests were made`);
    // Some requests must get through validation to the services, or the fuzzer tests nothing but the guard.
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    const validation = statuses.get(400) ?? 0;
    console.log(`fuzz: ${requests} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    assert.ok(ok > 0 && validation > 0, 'the fuzzer reached neither the services nor validation');
  });
});
