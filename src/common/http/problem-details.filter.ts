import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../logging/root-logger';
import { DOMAIN_ERROR_STATUS, DomainError } from './domain-error';

/** RFC 9457 body. `errors` lists field problems of a validation failure. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export class RequestValidationError extends HttpException {
  constructor(readonly errors: { field: string; message: string }[]) {
    super(
      `invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      HttpStatus.BAD_REQUEST,
    );
  }
}

/** Every error leaves as application/problem+json; stack traces never do. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    this.reply(exception, ctx.getRequest<Request>(), ctx.getResponse<Response>());
  }

  /** Answers `exception` as a problem; also used by the final Express handlers (bootstrap). */
  reply(exception: unknown, request: Request, response: Response): void {
    const problem = this.toProblem(exception);
    problem.instance = request.originalUrl?.split('?')[0];
    if (problem.status >= 500) {
      this.logger.error(
        { err: exception, method: request.method, url: request.originalUrl },
        'unhandled error',
      );
    }
    if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (response.headersSent) return;
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof DomainError) {
      const status = DOMAIN_ERROR_STATUS[exception.code];
      return {
        ...exception.extensions,
        ...base(status),
        detail: exception.message,
        code: exception.code,
      };
    }
    if (exception instanceof RequestValidationError) {
      return { ...base(400), detail: exception.message, errors: exception.errors };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail = typeof body === 'string' ? body : (messageOf(body) ?? exception.message);
      return { ...base(status), detail };
    }
    const parseError = exception as { type?: string; status?: number; expose?: boolean };
    if (parseError?.type === 'entity.parse.failed')
      return { ...base(400), detail: 'the request body is not valid JSON' };
    if (parseError?.type === 'entity.too.large')
      return { ...base(413), detail: 'the request body is too large' };
    // Other client errors of Express and its body parsers (http-errors, `expose` set).
    const status = parseError?.status;
    if (parseError?.expose && typeof status === 'number' && status >= 400 && status < 500)
      return { ...base(status), detail: (exception as Error).message };
    return { ...base(500), detail: 'an unexpected error occurred; it has been logged' };
  }
}

function base(status: number): ProblemDetails {
  const title = (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
  return { type: `https://httpstatuses.io/${status}`, title, status };
}

function messageOf(body: object): string | undefined {
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : undefined;
}
