/**
 * The one rule for what may enter the service from outside, wherever it comes from: JSON
 * bodies, multipart fields, query parameters, path parameters and token claims. Applied by
 * the input guard (every request's query and parsed body, right after parsing), by the
 * global validation pipe (path parameters, multipart fields and every DTO) and by the token
 * service (claims). Anything it refuses is a 400 naming the field (a claim: a 401).
 *
 * - No C0 control character (U+0000-U+001F) anywhere: PostgreSQL cannot store U+0000 at all,
 *   and none of the others has a use in an id, a name or a filter. Body text (JSON string
 *   values and multipart fields) may hold TAB, LF and CR: a reason or a column mapping may
 *   run over several lines, and `delimiter` may be a tab.
 * - No key named `__proto__`, `constructor`, `prototype` or after any other inherited member
 *   (`toString`, ...), at any depth: an unknown field like any other (the object mapper drops
 *   them in silence, so without this they would pass where any other unknown field is a 400).
 * - No nesting deeper than MAX_INPUT_DEPTH objects or arrays: the DTO mapper and validator
 *   recurse, and a 10,000-deep body of 20 KB exhausts the stack.
 */
import type { NextFunction, Request, Response } from 'express';
import { RequestValidationError } from './problem-details.filter';

export type InputSource = 'body' | 'query' | 'param' | 'claim';

export interface InputProblem {
  field: string;
  message: string;
}

/** Deepest nesting (objects and arrays) of any input; a body's top-level object is depth 1. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Keys refused wherever they appear, like any unknown field: every name an object inherits
 * (`__proto__`, `constructor`, `toString`, `hasOwnProperty`, ...) and `prototype`. The object
 * mapper skips a key whose target already holds a function, so these vanished in silence.
 */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** At most this many problems are listed for one input. */
const MAX_PROBLEMS = 20;

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const C0 = /[\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const C0_EXCEPT_TAB_LF_CR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** Why `text` may not come from `source`, or undefined when it may. */
export function controlCharacterProblem(text: string, source: InputSource): string | undefined {
  const match = (source === 'body' ? C0_EXCEPT_TAB_LF_CR : C0).exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `must not contain control characters (U+${code} at position ${match.index})`;
}

/**
 * Every breach of the rule in `value` (a string, or an object or array of them), each with
 * the path of its field (`root` names a bare string, e.g. the path parameter `id`).
 * Walks without recursion and stops descending past MAX_INPUT_DEPTH.
 */
export function inputProblems(value: unknown, source: InputSource, root = ''): InputProblem[] {
  type Item = { value: unknown; path: string; depth: number } | { problem: InputProblem };
  const problems: InputProblem[] = [];
  const stack: Item[] = [{ value, path: root, depth: 0 }];
  const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length && problems.length < MAX_PROBLEMS) {
    const item = stack.pop()!;
    if ('problem' in item) {
      problems.push(item.problem);
      continue;
    }
    const { value: v, path, depth } = item;
    if (typeof v === 'string') {
      const message = controlCharacterProblem(v, source);
      if (message) problems.push({ field: path || source, message });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > MAX_INPUT_DEPTH) {
      problems.push({
        field: path || source,
        message: `must not be nested deeper than ${MAX_INPUT_DEPTH} levels`,
      });
      break;
    }
    const children: Item[] = [];
    if (Array.isArray(v)) {
      v.forEach((e, i) =>
        children.push({ value: e, path: child(path, String(i)), depth: depth + 1 }),
      );
    } else {
      for (const key of Object.keys(v)) {
        const field = child(path, key);
        const control = controlCharacterProblem(key, source);
        const keyProblem = RESERVED_KEYS.has(key)
          ? `property ${key} should not exist`
          : control && `field names ${control}`;
        children.push(
          keyProblem
            ? { problem: { field, message: keyProblem } }
            : { value: (v as Record<string, unknown>)[key], path: field, depth: depth + 1 },
        );
      }
    }
    // Reversed onto the stack, so that problems come out in the order of the input.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return problems;
}

/**
 * Express middleware, right after the body parsers, for every route (prefixed or not): the
 * rule over the query parameters and the parsed body.
 */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  const problems = [
    ...inputProblems(req.query, 'query'),
    ...inputProblems(req.body as unknown, 'body'),
  ];
  next(problems.length ? new RequestValidationError(problems.slice(0, MAX_PROBLEMS)) : undefined);
}
