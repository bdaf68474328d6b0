import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from '@lanbridge/logging';
import { json, urlencoded } from 'express';

/** API bodies are small; 64 KiB leaves room for a PEM key and long names. */
export const BODY_LIMIT = '64kb';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  statusCode?: number;
}

/**
 * JSON and form parsers with limits, and an error handler right behind them: body-parser's
 * errors happen before Nest routing, so Nest's filters never see them.
 */
export function installBodyParsers(app: NestExpressApplication, logger: Logger): void {
  const log = logger.child({ component: 'http' });
  app.use(json({ limit: BODY_LIMIT, strict: true }));
  app.use(urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 100 }));
  app.use((err: BodyParserError, req: Request, res: Response, next: NextFunction) => {
    const status = err.status ?? err.statusCode;
    if (status === undefined || status < 400 || status >= 500) {
      next(err);
      return;
    }
    const code =
      err.type === 'entity.too.large'
        ? 'PAYLOAD_TOO_LARGE'
        : err.type === 'entity.parse.failed'
          ? 'MALFORMED_BODY'
          : err.type === 'parameters.too.many'
            ? 'TOO_MANY_PARAMETERS'
            : err.type === 'encoding.unsupported' || err.type === 'charset.unsupported'
              ? 'UNSUPPORTED_ENCODING'
              : 'BAD_BODY';
    const message = code === 'PAYLOAD_TOO_LARGE' ? `request body exceeds ${BODY_LIMIT}` : err.message;
    log.info({ code, status, method: req.method, url: req.url }, 'request body rejected');
    res.status(status).set('Cache-Control', 'no-store').json({ code, message });
  });
}

/** GET /openapi.json, built from the Nest routes on first request (so every module is in). */
export function installOpenApi(app: NestExpressApplication): void {
  let doc: OpenAPIObject | undefined;
  app.use('/openapi.json', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || (req.path !== '/' && req.path !== '')) {
      next();
      return;
    }
    doc ??= SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Lanbridge cloud broker')
        .setDescription('Accounts, OAuth2 (RFC 6749/7636/8628/7009/7662/8414), companies, areas, portal API.')
        .setVersion('1')
        .addBearerAuth()
        .addCookieAuth('lb_session')
        .build(),
    );
    res.json(doc);
  });
}
