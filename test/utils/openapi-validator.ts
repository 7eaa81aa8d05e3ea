/**
 * Holds the app to its OpenAPI document: every answer the e2e tests receive through
 * `TestApp.http` (test/utils/test-app.ts) is checked against the document the app serves at
 * /api/docs-json, and a test fails when it does not match, whatever the test itself expects:
 *
 * - the method and path are an operation of the document; a path or method that is none is
 *   answered 404 (or refused before routing: 400, 413, 415, 431) as application/problem+json;
 * - the status is one the operation documents;
 * - the media type is one documented for that status, and a status documented without a
 *   body has none;
 * - the body matches the documented schema (JSON Schema, by Ajv). Objects are read as
 *   closed: a property the schema does not list fails, unless the schema says
 *   `additionalProperties` (e.g. a job of any type with its type's own fields).
 *
 * Outside the document: the document itself (/api/docs*) and Bull Board (/admin/queues*);
 * their errors must still be problem+json problems.
 */
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type request from 'supertest';
import { openApiDocument } from '../../src/bootstrap';

type Json = Record<string, unknown>;

interface MediaType {
  schema?: Json;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}

/** An answer as received. */
export interface Answer {
  method: string;
  /** The path as sent (percent-encoded), with or without the query. */
  path: string;
  status: number;
  contentType: string;
  /** The body as text ('' when there is none). */
  text: string;
}

/** Paths the document does not describe: itself, and Bull Board (a mounted third-party app). */
const OUTSIDE = [/^\/api\/docs(-json)?(\/|$)/, /^\/admin\/queues(\/|$)/];
/**
 * What a request that is no operation is answered: 404, unless it is refused before routing
 * (see documentRefusals: the input rule's 400, the body parsers' 413 and 415, 431).
 */
const UNROUTED = [404, 400, 413, 415, 431];
const COMPONENTS = 'https://jobtrack.test/components.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Route {
  method: string;
  template: string;
  /** Literal segments (lower case) or null for a parameter. */
  segments: (string | null)[];
  operation: Operation;
}

export class OpenApiValidator {
  private static readonly byDocument = new Map<string, OpenApiValidator>();

  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly problem: ValidateFunction;

  /** The validator of `app`'s document (one per distinct document, compiled lazily). */
  static for(app: INestApplication): OpenApiValidator {
    const document = openApiDocument(app);
    const key = JSON.stringify(document);
    let validator = OpenApiValidator.byDocument.get(key);
    if (!validator) {
      validator = new OpenApiValidator(document);
      OpenApiValidator.byDocument.set(key, validator);
    }
    return validator;
  }

  constructor(readonly document: OpenAPIObject) {
    this.ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addVocabulary(['example', 'xml', 'externalDocs']);
    const schemas = structuredClone(document.components?.schemas ?? {}) as Record<string, Json>;
    this.ajv.addSchema({
      $id: COMPONENTS,
      definitions: Object.fromEntries(
        Object.entries(schemas).map(([name, schema]) => [name, prepare(schema)]),
      ),
    });
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = (item as Record<string, Operation | undefined>)[method];
        if (!operation) continue;
        this.routes.push({
          method: method.toUpperCase(),
          template,
          segments: segmentsOf(template).map((s) => (/^\{.+\}$/.test(s) ? null : s.toLowerCase())),
          operation,
        });
      }
    }
    if (!schemas.ProblemDetailsBody) throw new Error('the document has no ProblemDetailsBody');
    this.problem = this.ajv.compile({ $ref: `${COMPONENTS}#/definitions/ProblemDetailsBody` });
  }

  /** Why `answer` does not match the document, or undefined when it does. */
  mismatch(answer: Answer): string | undefined {
    const path = answer.path.split('?')[0];
    const type = answer.contentType.split(';')[0].trim().toLowerCase();
    if (OUTSIDE.some((re) => re.test(path))) {
      return answer.status >= 400 ? this.checkProblem(answer, type) : undefined;
    }
    const method = answer.method === 'HEAD' ? 'GET' : answer.method;
    const route = this.route(method, path);
    if (!route) {
      if (!UNROUTED.includes(answer.status)) {
        return `${answer.method} ${path} is no operation of the document, yet answered ${answer.status} (not 404)`;
      }
      return this.checkProblem(answer, type);
    }
    const { responses } = route.operation;
    const documented = responses[String(answer.status)] ?? responses.default;
    const where = `${method} ${route.template} → ${answer.status}`;
    if (!documented) {
      return `${where}: the document gives this operation no ${answer.status} (documented: ${Object.keys(responses).join(', ')})`;
    }
    if (answer.method === 'HEAD') return undefined;
    if (!documented.content) {
      return answer.text ? `${where}: documented without a body, answered ${type}` : undefined;
    }
    const media = documented.content[type];
    if (!media) {
      return `${where}: answered "${type || 'no media type'}", documented ${Object.keys(documented.content).join(', ')}`;
    }
    if (!media.schema) return undefined;
    return this.checkBody(where, type, answer.text, media.schema, `${where} ${type}`);
  }

  /** Throws when `res`, the answer to a supertest request, does not match the document. */
  assertResponse(res: request.Response): void {
    const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
    const answer: Answer = {
      method: req?.method ?? '?',
      path: req?.path ?? '?',
      status: res.status,
      contentType: String(res.headers['content-type'] ?? ''),
      text: res.text ?? '',
    };
    const why = this.mismatch(answer);
    if (why) {
      throw new Error(
        `the answer does not match the OpenAPI document: ${why}\n` +
          `${answer.method} ${short(answer.path, 300)} → ${answer.status} ${answer.contentType}\n${short(answer.text, 1500)}`,
      );
    }
  }

  /** The operation `method path` is, the one with the most literal segments first (as routed). */
  private route(method: string, path: string): Route | undefined {
    const segments = segmentsOf(path.length > 1 ? path.replace(/\/$/, '') : path);
    const candidates = this.routes.filter(
      (r) =>
        r.method === method &&
        r.segments.length === segments.length &&
        r.segments.every((s, i) =>
          s === null ? segments[i] !== '' : s === segments[i].toLowerCase(),
        ),
    );
    const literals = (r: Route) => r.segments.filter((s) => s !== null).length;
    return candidates.sort((a, b) => literals(b) - literals(a))[0];
  }

  private checkProblem(answer: Answer, type: string): string | undefined {
    const where = `${answer.method} ${answer.path.split('?')[0]} → ${answer.status}`;
    if (type !== 'application/problem+json') return `${where}: an error as "${type}"`;
    if (answer.method === 'HEAD') return undefined;
    return this.checkBody(where, type, answer.text, undefined, 'problem');
  }

  private checkBody(
    where: string,
    type: string,
    text: string,
    schema: Json | undefined,
    key: string,
  ): string | undefined {
    let value: unknown = text;
    if (/[/+]json$/.test(type)) {
      try {
        value = JSON.parse(text);
      } catch {
        return `${where}: ${type} that is not JSON`;
      }
    }
    let validate = schema ? this.compiled.get(key) : this.problem;
    if (!validate) {
      validate = this.ajv.compile(prepare(structuredClone(schema!)));
      this.compiled.set(key, validate);
    }
    if (validate(value)) return undefined;
    return `${where}: the body does not match its schema: ${explain(validate.errors ?? [])}`;
  }
}

/**
 * Wraps `agent` so that every answer to a request made through it is checked (after the
 * test's own expectations, so that a wrong status reports as the test wrote it).
 */
export function validating<A extends object>(agent: A, validator: OpenApiValidator): A {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || !HTTP_METHODS.includes(property)) return value;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const test = (value as (...a: unknown[]) => request.Test).apply(target, args);
        // Where the test made the request: the failure points there, not here.
        const origin = new Error().stack?.split('\n').slice(2).join('\n') ?? '';
        const end = test.end.bind(test);
        test.end = (callback) => {
          test.expect((res: request.Response) => {
            try {
              validator.assertResponse(res);
            } catch (err) {
              (err as Error).stack = `${(err as Error).message}\n${origin}`;
              throw err;
            }
          });
          return end(callback);
        };
        return test;
      };
    },
  });
}

function segmentsOf(path: string): string[] {
  return path.split('/').slice(1);
}

/**
 * An OpenAPI 3.0 schema as JSON Schema for Ajv: `$ref`s to the components, `nullable` as a
 * `null` type, no `x-` extensions, and objects that list properties closed unless they say
 * otherwise.
 */
function prepare(schema: Json): Json {
  for (const key of Object.keys(schema)) if (key.startsWith('x-')) delete schema[key];
  if (typeof schema.$ref === 'string') {
    schema.$ref = schema.$ref.replace(/^#\/components\/schemas\//, `${COMPONENTS}#/definitions/`);
  }
  if (schema.nullable === true) {
    delete schema.nullable;
    if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
    else if (schema.type === undefined) {
      const rest = { ...schema };
      for (const key of Object.keys(schema)) delete schema[key];
      schema.anyOf = [rest, { type: 'null' }];
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
  }
  if (schema.properties && schema.additionalProperties === undefined) {
    schema.additionalProperties = false;
  }
  for (const key of ['properties']) {
    const children = schema[key] as Record<string, Json> | undefined;
    if (children) for (const child of Object.values(children)) prepare(child);
  }
  for (const key of ['items', 'additionalProperties', 'not']) {
    const child = schema[key];
    if (child && typeof child === 'object') prepare(child as Json);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key] as Json[] | undefined;
    if (!list) continue;
    if (key === 'allOf' && list.filter((s) => s.properties).length > 1) {
      throw new Error('allOf of several object schemas cannot be read as closed');
    }
    list.forEach(prepare);
  }
  return schema;
}

function explain(errors: ErrorObject[]): string {
  return errors
    .slice(0, 8)
    .map((e) => {
      const at = e.instancePath || '(body)';
      const extra =
        e.keyword === 'additionalProperties'
          ? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}"`
          : e.keyword === 'enum'
            ? ` ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}`
            : '';
      return `${at} ${e.message ?? e.keyword}${extra}`;
    })
    .join('; ');
}

function short(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text;
}
