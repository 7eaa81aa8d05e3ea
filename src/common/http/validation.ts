import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { InputSource, inputProblems } from './input-rules';
import { RequestValidationError } from './problem-details.filter';

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const SOURCES: Partial<Record<ArgumentMetadata['type'], InputSource>> = {
  body: 'body',
  query: 'query',
  param: 'param',
};

/**
 * DTO validation whose 400 names every bad field. The input rule (input-rules.ts) is checked
 * first, before anything is mapped: path parameters and multipart fields meet it here.
 */
class BoundaryValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const source = SOURCES[metadata.type];
    if (source) {
      const problems = inputProblems(value, source, metadata.data ?? '');
      if (problems.length) throw new RequestValidationError(problems);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** DTO validation whose 400 names every bad field, after the input rule. */
export function createValidationPipe(): ValidationPipe {
  return new BoundaryValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
  });
}
