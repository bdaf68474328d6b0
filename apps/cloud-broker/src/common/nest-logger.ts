import type { LoggerService } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';

/** Routes Nest's own chatter (route mapping, lifecycle) into pino, below info. */
export class NestPinoLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(logger: Logger) {
    this.pino = logger.child({ component: 'nest' });
  }

  log(message: unknown, context?: unknown): void {
    this.pino.debug({ context }, String(message));
  }
  error(message: unknown, stack?: unknown, context?: unknown): void {
    this.pino.error({ context, stack }, String(message));
  }
  warn(message: unknown, context?: unknown): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: unknown): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.pino.trace({ context }, String(message));
  }
}
