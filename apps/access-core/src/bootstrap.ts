import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, type Logger, NestPinoLogger } from '@lanbridge/logging';
import { AppModule } from './app.module';
import { loadAccessCoreConfig } from './config/access-core.config';
import { databaseKind } from './database/data-source.factory';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { JSON_BODY_LIMIT, bodyErrorTranslator } from './http/body-parser-errors';
import { requestIdMiddleware } from './http/request-id.middleware';
import { createValidationPipe } from './http/validation.pipe';
import { ACCESS_CORE_VERSION } from './version';
import { UPLOAD_ROUTES, uploadBodyParser } from './mobile/upload-body-parser';
import { serveOpenApi } from './openapi/openapi';
import { Clock } from './system/clock';
import { findSiteConsoleDir, siteConsoleMiddleware } from './console/site-console.static';

export interface StartAccessCoreOptions {
  /** Root logger; defaults to a pino logger at LOG_LEVEL. */
  readonly logger?: Logger;
  /** Time source for every module (tests pass a movable clock); defaults to the wall clock. */
  readonly clock?: Clock;
}

export interface RunningAccessCore {
  /** Base URL, e.g. http://127.0.0.1:8090 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, closes open connections and the database. Idempotent. */
  close(): Promise<void>;
  /** A provider of the running app (in-process tests drive services with it). */
  get<T>(token: abstract new (...args: never[]) => T): T;
}

function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Validates `env`, opens the database (running migrations), and serves HTTP. Throws
 * ConfigError for bad settings and leaves nothing running when start-up fails.
 */
export async function startAccessCore(
  env: Record<string, string | undefined>,
  opts: StartAccessCoreOptions = {},
): Promise<RunningAccessCore> {
  const config = loadAccessCoreConfig(env);
  const logger = opts.logger ?? createLogger('access-core', { level: config.LOG_LEVEL });

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logger, opts.clock ?? new Clock()),
    {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
      forceCloseConnections: true,
      bodyParser: false,
    },
  );
  try {
    // Only the local edge connector (or a reverse proxy on the same host) may assert the
    // original client address and scheme.
    app.set('trust proxy', 'loopback');
    app.disable('x-powered-by');
    app.use(requestIdMiddleware(logger.child({ component: 'http' })));
    app.use(siteConsoleMiddleware(findSiteConsoleDir(config.SITE_CONSOLE_DIR), logger.child({ component: 'console' })));
    app.use(UPLOAD_ROUTES, uploadBodyParser(config.MOBILE_PHOTO_MAX_BYTES));
    app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
    app.use(bodyErrorTranslator());
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost), logger.child({ component: 'errors' })));
    serveOpenApi(app);
    await app.listen(config.ACCESS_CORE_PORT, config.ACCESS_CORE_HOST);
  } catch (err) {
    await app.close().catch((closeErr: unknown) => logger.warn({ err: closeErr }, 'cleanup after failed start failed'));
    throw err;
  }

  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = baseUrl(config.ACCESS_CORE_HOST, port);
  logger.info({ url, version: ACCESS_CORE_VERSION, database: databaseKind(config) }, 'access-core listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    get: (token) => app.get(token, { strict: false }),
    close(): Promise<void> {
      closing ??= (async () => {
        logger.info('access-core stopping');
        await app.close();
        logger.info('access-core stopped');
      })();
      return closing;
    },
  };
}
