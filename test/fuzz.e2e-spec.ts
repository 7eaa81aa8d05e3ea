/**
 * Property-based fuzzing of the whole HTTP surface. The operations come from the app's own
 * OpenAPI document (GET /api/docs-json), so a route added later is fuzzed without touching
 * this file; the routes outside it (/admin/queues, the document itself) and unmatched paths
 * are added.
 * Every operation gets random and hostile path parameters, query parameters, JSON bodies,
 * multipart fields, methods and bearer tokens (hostile claims minted with the app's key).
 *
 * Two passes over every operation: random requests (fast-check; most make one part hostile
 * and keep the rest valid, so that the hostile part reaches the code behind the validator),
 * and a deterministic sweep that puts each of a fixed list of known-bad values into each
 * parameter, field and claim in turn.
 *
 * Whatever is sent, the answer must not be a 5xx; an error (>= 400) must be
 * application/problem+json; no answer may carry a stack trace or SQL text; and every answer
 * must match the document: a status it documents for the operation, in a media type and with
 * a body it documents (test/utils/openapi-validator.ts).
 *
 *   FUZZ_SEED=123 FUZZ_RUNS=300 FUZZ_BUDGET_MS=600000 npm run jest -- test/fuzz.e2e-spec.ts
 *
 * FUZZ_SEED replays a run (a failure prints its seed), FUZZ_RUNS is the random requests per
 * operation, FUZZ_BUDGET_MS their time budget in all, FUZZ_VERBOSE=1 prints the counts.
 */
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { TokenService } from '../src/common/auth/token.service';
import { OpenApiValidator } from './utils/openapi-validator';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { multipartBody, MultipartPart, transactionsCsv } from './utils/uploads';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** Requests per operation. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
/**
 * Time budget of the random runs over all operations, shared out evenly: the file stays
 * under 40 s on a busy 2-core machine. A loaded machine gets fewer runs, never a timeout.
 */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 12_000);
/** Fewer random requests than this for an operation fails the test: the budget starved it. */
const MIN_RUNS = Math.min(RUNS, 5);
/**
 * The least time each operation gets, however many operations the document lists (about 35
 * now: an even share of BUDGET_MS is 340 ms, in which a loaded machine answered 4 scrapes
 * of /metrics). Only a slow operation uses it: the others finish their RUNS well before.
 */
const MIN_BUDGET_MS = Number(process.env.FUZZ_MIN_BUDGET_MS ?? 1_500);

/** What no answer may contain: stack frames, module paths, SQL and PostgreSQL errors. */
const LEAKS = [
  /\bat .*\.(ts|js):\d+/,
  /node_modules/,
  /\bSELECT\b|\bINSERT\b|\bUPDATE\s+\w+\s+SET\b/i,
  /syntax error at or near/i,
  /relation ".*" does not exist/i,
  /invalid (byte sequence|input syntax|message format)/i,
  /duplicate key value|violates .* constraint/i,
];

// ---------------------------------------------------------------------------------------
// The OpenAPI document, read as operations.

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: Schema;
}

interface Operation {
  method: string;
  /** OpenAPI path template, e.g. /api/v1/jobs/{id}. */
  path: string;
  parameters: Parameter[];
  body?: { kind: 'json' | 'multipart' | 'other'; schema: Schema };
}

type OpenApi = {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown }>>;
  components?: { schemas?: Record<string, Schema> };
};

function operationsOf(doc: OpenApi): Operation[] {
  const resolve = (s: Schema | undefined): Schema => {
    if (!s?.$ref) return s ?? {};
    return doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {};
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody as { content?: Record<string, { schema?: Schema }> })
        ?.content;
      let body: Operation['body'];
      if (content) {
        const [type, media] = Object.entries(content)[0];
        const kind = /json/.test(type) ? 'json' : /multipart/.test(type) ? 'multipart' : 'other';
        body = { kind, schema: resolve(media.schema) };
      }
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema) })),
        body,
      });
    }
  }
  return ops;
}

/** Routes the document leaves out (Bull Board, the document itself). */
const UNDOCUMENTED: Operation[] = [
  { method: 'GET', path: '/admin/queues', parameters: [] },
  { method: 'GET', path: '/admin/queues/api/queues', parameters: [] },
  { method: 'GET', path: '/api/docs-json', parameters: [] },
];

// ---------------------------------------------------------------------------------------
// Values.

const HOSTILE_TEXT = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007',
  '\u001b[31m',
  '\u001f',
  '\t',
  '\n',
  '\r\n',
  '\u007f',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\u202e',
  '\ud800',
  '\udc00x',
  '🙂',
  'ǅİßΩ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x1F',
  ' 1 ',
  '1.5',
  '-1',
  '99999999999999999999999',
  '[]',
  '{}',
  'true',
  '%',
  '%00',
  '%%32%65',
  '../../etc/passwd',
  '\\',
  "'",
  '"',
  "' OR '1'='1",
  '; DROP TABLE jobs; --',
  '$1',
  '?',
  '%_\\',
  '${7*7}',
  '<script>alert(1)</script>',
  'a'.repeat(501),
  '{"a\\u0000":"b"}',
  '["\\u0000"]',
];

/** Every UTF-16 code unit, lone surrogates included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** U+0000 above all: PostgreSQL refuses it in any text ("invalid message format"). */
const control = fc.oneof(
  fc.constant('\u0000'),
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
);

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 20 }) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), control, fc.string({ maxLength: 8 }))
      .map((p) => p.join('')),
  },
  // Huge: over every field limit, and over the 16 KB header limit once in a URL or a token.
  { weight: 1, arbitrary: fc.integer({ min: 600, max: 24_000 }).map((n) => 'é'.repeat(n)) },
);

const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -2, max: 2_000_000 }).map(String),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.constantFrom('1e3', '0x10', '-0', ' 5', '5 ', '1_000', '١٢', '+7', '.5', '5.', 'Infinity'),
);

/** Instants in the documented formats and in every near miss of them. */
const instantText: fc.Arbitrary<string> = fc
  .record({
    y: fc.integer({ min: 0, max: 10_001 }),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 25 }),
    mi: fc.integer({ min: 0, max: 61 }),
    s: fc.integer({ min: 0, max: 61 }),
    frac: fc.stringMatching(/^\d{1,11}$/),
    zone: fc.constantFrom(
      'Z',
      'z',
      '+00:00',
      '-00:00',
      '+05:30',
      '-23:59',
      '+24:00',
      '+01',
      '+0100',
      '',
    ),
    form: fc.constantFrom(
      'date',
      'minute',
      'second',
      'fraction',
      'week',
      'ordinal',
      'basic',
      'hour',
      'space',
    ),
  })
  .map(({ y, mo, d, h, mi, s, frac, zone, form }) => {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const date = `${p(y, 4)}-${p(mo)}-${p(d)}`;
    switch (form) {
      case 'date':
        return date;
      case 'minute':
        return `${date}T${p(h)}:${p(mi)}${zone}`;
      case 'second':
        return `${date}T${p(h)}:${p(mi)}:${p(s)}${zone}`;
      case 'fraction':
        return `${date}T${p(h)}:${p(mi)}:${p(s)}.${frac}${zone}`;
      case 'week':
        return `${p(y, 4)}-W${p(d)}${s % 2 ? `-${s % 9}` : ''}`;
      case 'ordinal':
        return `${p(y, 4)}-${p(d * 11, 3)}`;
      case 'basic':
        return `${p(y, 4)}${p(mo)}${p(d)}T${p(h)}${p(mi)}${p(s)}${zone}`;
      case 'hour':
        return `${date}T${p(h)}${zone}`;
      default:
        return `${date} ${p(h)}:${p(mi)}:${p(s)}${zone}`;
    }
  });

/** A value that fits `schema` (as far as the document says), to get past the validator. */
function fitting(schema: Schema, ids: string[]): fc.Arbitrary<string> {
  if (schema.enum?.length) return fc.constantFrom(...schema.enum.map(String));
  if (schema.type === 'array' && schema.items) return fitting(schema.items, ids);
  if (schema.type === 'number' || schema.type === 'integer') {
    const min = schema.minimum ?? -1_000;
    const max = schema.maximum ?? 1_000;
    return fc.integer({ min, max }).map(String);
  }
  if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...ids), fc.uuid());
  if (schema.format === 'date-time')
    return fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  const examples = [schema.example, schema.default].filter((v) => typeof v === 'string');
  const text = fc.string({ maxLength: schema.maxLength ?? 40 });
  return examples.length ? fc.oneof(fc.constantFrom(...(examples as string[])), text) : text;
}

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD). */
const pct = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** Raw path or query bytes no encoder would produce. */
const rawJunk = fc.constantFrom(
  '%',
  '%E0%A4%A',
  '%FF',
  '%C0%AF',
  '%2f',
  '%2e%2e',
  '%00',
  '..',
  '.',
  ';x',
  '',
  '%u0000',
  '+',
);

const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    'a[b]',
    'a[]',
    '',
    '\u0000',
  ),
  hostileString.filter((s) => s.length < 100),
);

/** Any JSON value, its strings hostile, its keys sometimes too. */
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** JSON text nested `depth` deep: objects, arrays, or both in turn. */
const deepJson = fc
  .record({ depth: fc.integer({ min: 20, max: 12_000 }), kind: fc.constantFrom('o', 'a', 'oa') })
  .map(({ depth, kind }) => {
    const open = (i: number) => (kind === 'a' || (kind === 'oa' && i % 2) ? '[' : '{"reason":');
    const close = (i: number) => (kind === 'a' || (kind === 'oa' && i % 2) ? ']' : '}');
    let head = '';
    let tail = '';
    for (let i = 0; i < depth; i++) {
      head += open(i);
      tail = close(i) + tail;
    }
    return `${head}1${tail}`;
  });

const short = (s: unknown, n = 400) => {
  const text =
    typeof s === 'string' ? s : Buffer.isBuffer(s) ? s.toString('utf8') : JSON.stringify(s);
  return text && text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text;
};

// ---------------------------------------------------------------------------------------
// Requests. Each part of a request (a path parameter, a query parameter, a body field, the
// body's shape, the token...) is a slot with a fitting and a hostile value. Most requests
// make exactly one slot hostile, so that it gets past everything else and reaches the code
// behind the validator; the others mix hostile slots at random.

type TokenSpec =
  | { kind: 'none' }
  | { kind: 'user' | 'admin' | 'other' }
  | { kind: 'raw'; header: string }
  | { kind: 'claims'; sub: string; tenant: string | null; roles: string[] };

interface FuzzRequest {
  method: string;
  path: string;
  token: TokenSpec;
  contentType?: string;
  body?: string | Buffer;
}

/** A fitting value and a hostile one; `pick` chooses when the request is built. */
interface Slot<T> {
  fit: T;
  bad: T;
}
const slot = <T>(fit: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<Slot<T>> =>
  fc.record({ fit, bad });
type Pick = <T>(s: Slot<T>, index: number) => T;

const fittingToken = fc.constantFrom<TokenSpec>(
  { kind: 'user' },
  { kind: 'user' },
  { kind: 'admin' },
  { kind: 'other' },
);
const hostileToken: fc.Arbitrary<TokenSpec> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('claims' as const),
      sub: fc.oneof(fc.constant('alice'), hostileString),
      tenant: fc.oneof(fc.constant('acme'), fc.constant(null), hostileString),
      roles: fc.array(fc.oneof(hostileString, fc.constant('admin')), { maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant<TokenSpec>({ kind: 'none' }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        'Bearer',
        'Bearer x',
        'Bearer a.b.c',
        'Basic Zm9vOmJhcg==',
        'Basic OmFkbWlu',
        'bearer  ',
        'Bearer eyJ.eyJ.',
      )
      .map((header): TokenSpec => ({ kind: 'raw', header })),
  },
);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A request's parts for one operation, not yet put together. */
interface Parts {
  path: Slot<string>[];
  suffix: Slot<string>;
  query: { present: boolean; values: Slot<string[]> }[];
  extraQuery: Slot<string | null>;
  fields: { present: boolean; value: Slot<unknown> }[];
  extraField: Slot<[string, unknown] | null>;
  shape: Slot<string | null>;
  file: Slot<{ name: string; filename: string; content: string | Buffer } | null>;
  contentType: Slot<string | null>;
  token: Slot<TokenSpec>;
}

const slotCount = (p: Parts) => p.path.length + p.query.length + p.fields.length + 7;

function partsFor(op: Operation, ids: string[]): fc.Arbitrary<Parts> {
  const pathNames = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const schemaOf = (name: string) =>
    op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema ?? {};
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const props = Object.entries(op.body?.schema.properties ?? {});
  const multipart = op.body?.kind === 'multipart';
  const fileName = props.find(([, s]) => s.format === 'binary')?.[0];
  const fieldProps = props.filter(([, s]) => s.format !== 'binary');
  const required = new Set(op.body?.schema.required ?? []);
  return fc.record({
    path: fc.tuple(
      ...pathNames.map((n) =>
        slot(
          fitting(schemaOf(n), ids).map(pct),
          fc.oneof({ weight: 4, arbitrary: hostileValue.map(pct) }, rawJunk),
        ),
      ),
    ),
    suffix: slot(fc.constant(''), fc.oneof(rawJunk, fc.constantFrom('/', '/x', ';x', '//'))),
    query: fc.tuple(
      ...queryParams.map((p) =>
        fc.record({
          present: fc.boolean(),
          values: slot(
            fc.array(fitting(p.schema ?? {}, ids), { minLength: 1, maxLength: 2 }),
            fc.array(hostileValue, { minLength: 1, maxLength: 2 }),
          ),
        }),
      ),
    ),
    extraQuery: slot(
      fc.constant(null),
      fc.oneof(
        fc.tuple(hostileKey, hostileString).map(([k, v]) => `${pct(k)}=${pct(v)}`),
        rawJunk,
      ),
    ),
    fields: fc.tuple(
      ...fieldProps.map(([name, s]) =>
        fc.record({
          present: required.has(name) ? fc.constant(true) : fc.boolean(),
          value: slot<unknown>(
            fitting(s, ids),
            multipart ? hostileValue : fc.oneof(hostileValue, jsonish),
          ),
        }),
      ),
    ),
    extraField: slot(fc.constant(null), fc.tuple(hostileKey, multipart ? hostileString : jsonish)),
    // The JSON body as a whole: the fields above, or something else entirely.
    shape: slot(
      fc.constant(null),
      fc.oneof(
        { weight: 2, arbitrary: jsonish.map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 2, arbitrary: deepJson },
        fc.string({ maxLength: 40 }),
        fc.constantFrom('{"reason":"x"', '', 'null', '"x"', '1', '[]', '{}'.repeat(2)),
      ),
    ),
    file: slot(
      fileName
        ? fc.constant({ name: fileName, filename: 'tx.csv', content: transactionsCsv(3) })
        : fc.constant(null),
      fc.option(
        fc.record({
          name: fc.oneof({ weight: 3, arbitrary: fc.constant(fileName ?? 'file') }, hostileKey),
          filename: hostileString.filter((s) => s.length < 300),
          content: fc.oneof(
            fc.constant(transactionsCsv(3)),
            fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
            hostileString,
          ),
        }),
        { freq: 6 },
      ),
    ),
    contentType: slot(
      fc.constant(null),
      fc.constantFrom(
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/x-www-form-urlencoded',
        'text/plain',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        'application/json',
      ),
    ),
    token: slot(fittingToken, hostileToken),
  });
}

/** Values of any kind for a parameter or a field: hostile text, numbers, instants. */
const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 1, arbitrary: numberText },
  { weight: 1, arbitrary: instantText },
);

/** Puts the parts together, taking the hostile value of the slots `pick` says. */
function build(op: Operation, p: Parts, pick: Pick, method: string): FuzzRequest {
  let i = 0;
  let path = op.path;
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  names.forEach((n, k) => (path = path.replace(`{${n}}`, pick(p.path[k], i++))));
  path += pick(p.suffix, i++);
  const pairs: string[] = [];
  const queryParams = op.parameters.filter((q) => q.in === 'query');
  p.query.forEach((q, k) => {
    const index = i++;
    const values = pick(q.values, index);
    // A hostile slot is always sent; a fitting one only when present.
    if (q.present || values === q.values.bad)
      for (const v of values) pairs.push(`${pct(queryParams[k].name)}=${pct(v)}`);
  });
  const extraQuery = pick(p.extraQuery, i++);
  if (extraQuery !== null) pairs.push(extraQuery);
  if (pairs.length) path += `?${pairs.join('&')}`;

  const fieldProps = Object.entries(op.body?.schema.properties ?? {}).filter(
    ([, s]) => s.format !== 'binary',
  );
  const fields: [string, unknown][] = [];
  p.fields.forEach((f, k) => {
    const value = pick(f.value, i++);
    if (f.present || value === f.value.bad) fields.push([fieldProps[k][0], value]);
  });
  const extraField = pick(p.extraField, i++);
  if (extraField) fields.push(extraField);
  const shape = pick(p.shape, i++);
  const file = pick(p.file, i++);
  const contentType = pick(p.contentType, i++);
  const token = pick(p.token, i++);

  const req: FuzzRequest = { method, path, token };
  if (method === 'GET' || method === 'HEAD') return req;
  if (op.body?.kind === 'multipart' && shape === null) {
    const parts: MultipartPart[] = fields.map(([name, value]) => ({
      disposition: `name="${name}"`,
      body: String(value),
    }));
    if (file) {
      parts.push({
        disposition: `name="${file.name}"; filename="${file.filename}"`,
        body: file.content,
        contentType: 'text/csv',
      });
    }
    const { body, contentType: multipartType } = multipartBody(parts);
    return { ...req, body, contentType: contentType ?? multipartType };
  }
  if (!op.body && shape === null && !fields.length && contentType === null) return req;
  let text = shape;
  if (text === null) {
    const body: Record<string, unknown> = {};
    // defineProperty: a key "__proto__" must be sent as a key, not set the prototype.
    for (const [k, v] of fields) Object.defineProperty(body, k, { value: v, enumerable: true });
    text = JSON.stringify(body);
  }
  return { ...req, body: text, contentType: contentType ?? 'application/json' };
}

/** How fast-check prints a request in a counterexample (values can be 24 KB long). */
function printable(req: FuzzRequest): FuzzRequest {
  return Object.assign(req, {
    [fc.toStringMethod]: () =>
      `${req.method} ${short(req.path, 300)} token=${short(req.token, 200)} ` +
      `content-type=${String(req.contentType)} body=${short(req.body, 300)}`,
  });
}

function requestsFor(op: Operation, ids: string[]): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      parts: partsFor(op, ids),
      // -1: hostile slots at random (`mix`); otherwise only that slot is hostile.
      target: fc.oneof(
        { weight: 1, arbitrary: fc.constant(-1) },
        { weight: 4, arbitrary: fc.nat(40) },
      ),
      mix: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(op.method) },
        fc.constantFrom(...METHODS),
      ),
    })
    .map(({ parts, target, mix, method }) => {
      const slots = slotCount(parts);
      const hostile = (index: number) =>
        target < 0 ? mix[index % mix.length] : index === target % slots;
      const pick: Pick = (s, index) => (hostile(index) ? s.bad : s.fit);
      return printable(build(op, parts, pick, method));
    });
}

/** What every parameter and field is swept with, one at a time (besides the random runs). */
const SWEEP_VALUES = [
  '\u0000',
  'a\u0000b',
  '\u001b[31m',
  '\t\r\n',
  '\ud800',
  '__proto__',
  '',
  'é'.repeat(20_000),
  '-1',
  '1e309',
  '2026-W01',
  '9999-12-31T23:59:59.999-23:59',
  // JSON text with an escaped NUL: a field that holds JSON (columnMapping) decodes it.
  '{"a\\u0000":"b"}',
];
/** What every claim (sub, tenant, a role) is swept with. */
const SWEEP_CLAIMS = ['a\u0000', '\u001f', '\ud800'];
/** Keys swept as an extra query parameter and an extra body field. */
const SWEEP_KEYS = ['__proto__', 'constructor', 'toString', 'a\u0000'];

/**
 * The sweep: the least request that passes (a real id, required fields only, a valid token)
 * with exactly one part replaced by each SWEEP_ value in turn, for every operation.
 */
function sweepFor(op: Operation, ids: string[]): FuzzRequest[] {
  const [base] = fc.sample(partsFor(op, ids), { numRuns: 1, seed: 42 });
  const schema = op.body?.schema;
  const fieldProps = Object.entries(schema?.properties ?? {}).filter(
    ([, f]) => f.format !== 'binary',
  );
  base.path.forEach((p) => (p.fit = pct(ids[0])));
  base.query.forEach((q) => (q.present = false));
  base.fields.forEach((f, k) => {
    const [name, prop] = fieldProps[k];
    f.present = schema?.required?.includes(name) ?? false;
    f.value.fit = prop.example ?? prop.enum?.[0] ?? prop.default ?? f.value.fit;
  });
  base.token.fit = { kind: 'user' };
  const [P, Q, F] = [base.path.length, base.query.length, base.fields.length];
  const requests: FuzzRequest[] = [];
  const add = (index: number) => {
    const pick: Pick = (slotValue, i) => (i === index ? slotValue.bad : slotValue.fit);
    requests.push(printable(build(op, base, pick, op.method)));
  };
  for (const value of SWEEP_VALUES) {
    base.path.forEach((p, k) => {
      p.bad = pct(value);
      add(k);
    });
    base.query.forEach((q, k) => {
      q.values.bad = [value];
      add(P + 1 + k);
    });
    base.fields.forEach((f, k) => {
      f.value.bad = value;
      add(P + Q + 2 + k);
    });
  }
  for (const key of SWEEP_KEYS) {
    base.extraQuery.bad = `${pct(key)}=x`;
    add(P + 1 + Q);
    if (op.body) {
      base.extraField.bad = [key, 'x'];
      add(P + Q + 2 + F);
    }
  }
  for (const value of SWEEP_CLAIMS) {
    for (const claim of ['sub', 'tenant', 'roles']) {
      base.token.bad = {
        kind: 'claims',
        sub: claim === 'sub' ? value : 'alice',
        tenant: claim === 'tenant' ? value : 'acme',
        roles: claim === 'roles' ? [value] : [],
      };
      add(P + Q + F + 6);
    }
  }
  if (op.method !== 'GET') {
    base.shape.bad = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    add(P + Q + F + 3);
  }
  return requests;
}

/** Paths off every route: prefixes of real ones with junk after them. */
const strayPath: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom(...METHODS),
    prefix: fc.constantFrom(
      '',
      '/',
      '//',
      '/api',
      '/api/v1',
      '/api/v2',
      '/health',
      '/metrics',
      '/admin/queues',
      '/api/docs',
    ),
    tail: fc.oneof(
      rawJunk,
      hostileString.map(pct),
      fc.constantFrom('/', '//metrics', ';x', '/..', '/%2e%2e/metrics'),
    ),
    token: fc.oneof(fittingToken, hostileToken),
  })
  .map(({ method, prefix, tail, token }) =>
    printable({ method, path: `/${prefix}${tail}`.replace(/^\/\//, '/'), token }),
  );

// ---------------------------------------------------------------------------------------
// Sending and judging.

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

function send(port: number, req: FuzzRequest, authorization?: string): Promise<Answer> {
  const headers: Record<string, string | number> = {};
  if (authorization) headers.Authorization = authorization;
  if (req.contentType) headers['Content-Type'] = req.contentType;
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  if (body) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: req.path, method: req.method, headers };
    const r = httpRequest(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    r.setTimeout(10_000, () => r.destroy(new Error('no answer within 10 s')));
    r.on('error', reject);
    r.end(body);
  });
}

/** Why `answer` breaks the rules, or undefined. */
function fault(req: FuzzRequest, answer: Answer, validator: OpenApiValidator): string | undefined {
  // A probe's 503 is its answer ("not ready": a check timed out under the fuzz's load), in
  // the JSON Kubernetes and the operations docs read, not an error of the request.
  const probe = /^\/health\/(ready|startup)(\?|$)/.test(req.path) && answer.status === 503;
  if (probe && !/^application\/json/.test(answer.contentType)) return 'a bare 503';
  if (answer.status >= 500 && !probe) return `a ${answer.status}`;
  if (answer.status >= 400 && !probe) {
    if (!/^application\/problem\+json/.test(answer.contentType))
      return `an error as "${answer.contentType}", not application/problem+json`;
    if (req.method !== 'HEAD') {
      let body: { status?: unknown };
      try {
        body = JSON.parse(answer.text) as { status?: unknown };
      } catch {
        return 'a problem+json answer that is not JSON';
      }
      if (body.status !== answer.status) return `a problem whose status is ${String(body.status)}`;
    }
  }
  const mismatch = validator.mismatch({ method: req.method, path: req.path, ...answer });
  if (mismatch) return `an answer the document does not describe: ${mismatch}`;
  // Bull Board's page and scripts are not the service's text.
  if (/html|javascript|css/.test(answer.contentType)) return undefined;
  const leak = LEAKS.find((re) => re.test(answer.text));
  return leak ? `an answer matching ${leak}` : undefined;
}

describe('fuzz: every operation of the OpenAPI document, and every path off it', () => {
  const env = isolatedEnv({ UPLOAD_MAX_BYTES: '2048' });
  let app: TestApp;
  let tokens: TokenService;
  const fixed: Record<string, string> = {};
  const ids: string[] = [];
  let operations: Operation[] = [];
  let validator: OpenApiValidator;

  beforeAll(async () => {
    // No workers: jobs created by the fuzz stay queued instead of running random scripts.
    app = await startTestApp({ ...env, APP_ROLE: 'api' });
    tokens = app.app.get(TokenService);
    validator = OpenApiValidator.for(app.app);
    fixed.user = await app.token({ tenant: 'acme', sub: 'alice' });
    fixed.other = await app.token({ tenant: 'globex', sub: 'eve' });
    fixed.admin = await app.token({ tenant: null, sub: 'ops', roles: ['admin'] });
    // Real ids, so that parameters also reach the rows: queued, cancelled, another tenant's.
    for (let i = 0; i < 3; i++) ids.push(await app.createJob(fixed.user));
    ids.push(await app.createJob(fixed.other));
    await app.http
      .post(`/api/v1/jobs/${ids[1]}/cancel`)
      .set('Authorization', `Bearer ${fixed.user}`)
      .send({ reason: 'fuzz' });
    const upload = await app.http
      .post('/api/v1/uploads')
      .set('Authorization', `Bearer ${fixed.user}`)
      .field('dataset', 'transactions')
      .field('mode', 'partial')
      .attach('file', Buffer.from(transactionsCsv(2)), 'tx.csv')
      .expect(202);
    ids.push(upload.body.id as string);
    const doc = (await app.http.get('/api/docs-json').expect(200)).body as OpenApi;
    operations = [...operationsOf(doc), ...UNDOCUMENTED];
  });
  afterAll(async () => {
    await app?.close();
    await cleanupEnv(env);
  });

  const authorization = async (spec: TokenSpec): Promise<string | undefined> => {
    switch (spec.kind) {
      case 'none':
        return undefined;
      case 'raw':
        return spec.header;
      case 'claims':
        return `Bearer ${await tokens.mint({ sub: spec.sub, tenant: spec.tenant, roles: spec.roles })}`;
      default:
        return `Bearer ${fixed[spec.kind]}`;
    }
  };

  const check = async (req: FuzzRequest) => {
    const answer = await send(Number(new URL(app.url).port), req, await authorization(req.token));
    const why = fault(req, answer, validator);
    if (why) {
      throw new Error(
        `${req.method} ${short(req.path, 300)} answered ${why}\n` +
          `token: ${short(req.token, 200)}\ncontent-type: ${String(req.contentType)}\n` +
          `body: ${short(req.body)}\n→ ${answer.status} ${answer.contentType}\n${short(answer.text, 1000)}`,
      );
    }
  };

  /** Runs the property; returns how many requests were sent (the time budget may cut it). */
  const run = async (
    arbitrary: fc.Arbitrary<FuzzRequest>,
    runs: number,
    budgetMs: number,
  ): Promise<number> => {
    const details = await fc.check(fc.asyncProperty(arbitrary, check), {
      numRuns: runs,
      seed: SEED,
      endOnFailure: true,
      plugins: [fc.interruptAfterTimeLimit(budgetMs)],
    });
    if (details.failed) throw new Error(await fc.asyncDefaultReportMessage(details));
    return details.numRuns;
  };

  it('reads the document: every controller route is in it', () => {
    const paths = operations.map((o) => `${o.method} ${o.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'GET /api/v1/jobs',
        'POST /api/v1/jobs/{id}/cancel',
        'POST /api/v1/uploads',
        'GET /health/ready',
        'GET /metrics',
      ]),
    );
    expect(operations.length).toBeGreaterThan(15);
  });

  it('every operation, its parameters, bodies and tokens', async () => {
    // One test walking the list read at run time: an operation added later is fuzzed too.
    const sent: Record<string, number> = {};
    for (const op of operations) {
      try {
        const budget = Math.max(BUDGET_MS / operations.length, MIN_BUDGET_MS);
        sent[`${op.method} ${op.path}`] = await run(requestsFor(op, ids), RUNS, budget);
      } catch (err) {
        (err as Error).message = `${op.method} ${op.path}: ${(err as Error).message}`;
        throw err;
      }
    }
    if (process.env.FUZZ_VERBOSE) console.log('requests per operation', sent);
    // The time budget must not starve any operation.
    for (const [op, n] of Object.entries(sent)) expect([op, n >= MIN_RUNS]).toEqual([op, true]);
  });

  it('every operation, one part at a time, with each of the sweep values', async () => {
    const requests = operations.flatMap((op) => sweepFor(op, ids));
    const faults: string[] = [];
    // Four at a time; every fault is collected, not only the first.
    const queue = [...requests];
    const worker = async () => {
      for (let req = queue.shift(); req; req = queue.shift()) {
        await check(req).catch((err: Error) => faults.push(err.message));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    if (process.env.FUZZ_VERBOSE) console.log(`sweep: ${requests.length} requests`);
    expect(faults.slice(0, 10)).toEqual([]);
  });

  it('paths off every route (unprefixed ones included), with any method', async () => {
    expect(await run(strayPath, RUNS * 3, BUDGET_MS / 4)).toBeGreaterThanOrEqual(MIN_RUNS);
  });
});
