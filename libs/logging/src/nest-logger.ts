import type { LoggerService } from '@nestjs/common';
import type { Logger } from './logger';

/** Nest passes the context last, and an error's stack (a string) before it. */
function split(params: unknown[]): { context?: string; rest: unknown[] } {
  const last = params[params.length - 1];
  return typeof last === 'string' ? { context: last, rest: params.slice(0, -1) } : { rest: params };
}

/**
 * Routes Nest's own messages (route mapping, lifecycle, uncaught errors) into pino, for every app.
 * Nest's chatty `log` level becomes debug; an `Error` is logged as `err`, with its stack and cause.
 */
export class NestPinoLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(logger: Logger) {
    this.pino = logger.child({ component: 'nest' });
  }

  log(message: unknown, ...params: unknown[]): void {
    this.pino.debug({ context: split(params).context }, String(message));
  }

  error(message: unknown, ...params: unknown[]): void {
    const { context, rest } = split(params);
    if (message instanceof Error) {
      this.pino.error({ context, err: message }, message.message);
      return;
    }
    const stack = typeof rest[0] === 'string' ? rest[0] : undefined;
    this.pino.error({ context, stack }, String(message));
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.pino.warn({ context: split(params).context }, String(message));
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.pino.debug({ context: split(params).context }, String(message));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.pino.trace({ context: split(params).context }, String(message));
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.pino.fatal({ context: split(params).context }, String(message));
  }
}
