import type { LoggerService } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';

function split(params: unknown[]): { context?: string; rest: unknown[] } {
  const last = params[params.length - 1];
  return typeof last === 'string' ? { context: last, rest: params.slice(0, -1) } : { rest: params };
}

/** Routes Nest's own messages into pino. Nest's chatty `log` level (route mapping) becomes debug. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    const { context } = split(params);
    this.logger.debug({ context }, String(message));
  }

  error(message: unknown, ...params: unknown[]): void {
    const { context, rest } = split(params);
    const stack = typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) this.logger.error({ context, err: message }, message.message);
    else this.logger.error({ context, stack }, String(message));
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.logger.warn({ context: split(params).context }, String(message));
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.logger.debug({ context: split(params).context }, String(message));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.logger.trace({ context: split(params).context }, String(message));
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.logger.fatal({ context: split(params).context }, String(message));
  }
}
