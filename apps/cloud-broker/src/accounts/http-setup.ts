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
  /** Set by zlib on a body that is not in the coding its Content-Encoding names. */
  code?: unknown;
  errno?: unknown;
}

/** The answers of the body parsers (docs/errors.md §4.1), before any route sees the request. */
export const BODY_ERROR_STATUS = {
  PAYLOAD_TOO_LARGE: 413,
  MALFORMED_BODY: 400,
  TOO_MANY_PARAMETERS: 413,
  UNSUPPORTED_ENCODING: 415,
  BODY_DECODING_FAILED: 400,
  BAD_BODY: 400,
  NUL_CHARACTER: 400,
} as const;
export type BodyErrorCode = keyof typeof BODY_ERROR_STATUS;

/** body-parser's error types and the code each becomes. */
const BY_TYPE: Readonly<Record<string, BodyErrorCode>> = {
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'entity.parse.failed': 'MALFORMED_BODY',
  'parameters.too.many': 'TOO_MANY_PARAMETERS',
  'encoding.unsupported': 'UNSUPPORTED_ENCODING',
  'charset.unsupported': 'UNSUPPORTED_ENCODING',
};

function bodyErrorCode(err: BodyParserError): BodyErrorCode {
  const byType = err.type === undefined ? undefined : BY_TYPE[err.type];
  if (byType) return byType;
  // body-parser passes the decompressor's own error on: it has zlib's code and errno, no type.
  if (err.type === undefined && typeof err.code === 'string' && typeof err.errno === 'number') {
    return 'BODY_DECODING_FAILED';
  }
  return 'BAD_BODY';
}

function bodyErrorMessage(code: BodyErrorCode, err: BodyParserError, req: Request): string {
  if (code === 'PAYLOAD_TOO_LARGE') return `request body exceeds ${BODY_LIMIT}`;
  if (code === 'BODY_DECODING_FAILED') {
    // The name is one body-parser knows (gzip, deflate, br, zstd): anything else is a 415.
    const coding = String(req.headers['content-encoding'] ?? '').slice(0, 20);
    return `the body is not valid ${coding} data, as its Content-Encoding says`;
  }
  return err.message;
}

/** Where in a parsed body (or a key of it) a string holds U+0000, or undefined. */
function nulAt(v: unknown, path: string, depth = 0): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path : undefined;
  if (typeof v !== 'object' || v === null || depth > 32) return undefined;
  for (const [k, inner] of Object.entries(v)) {
    const here = Array.isArray(v) ? `${path}[${k}]` : `${path}.${k.replaceAll('\u0000', '\\u0000')}`;
    if (k.includes('\u0000')) return here;
    const found = nulAt(inner, here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * JSON and form parsers with limits, and an error handler right behind them: body-parser's
 * errors happen before Nest routing, so Nest's filters never see them. Every body a route of
 * the broker reads goes through these two parsers (the client ingress /t/ never parses one).
 */
export function installBodyParsers(app: NestExpressApplication, logger: Logger): void {
  const log = logger.child({ component: 'http' });
  app.use(json({ limit: BODY_LIMIT, strict: true }));
  app.use(urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 100 }));
  // PostgreSQL text holds no U+0000, so a value with one would fail deep inside a route as a 500.
  // No field of the broker's API has a use for it: refused here, for bodies and query strings.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const where = /%00/.test(req.url) ? 'the URL' : nulAt(req.body, 'body');
    if (where === undefined) {
      next();
      return;
    }
    const code: BodyErrorCode = 'NUL_CHARACTER';
    log.info({ code, status: BODY_ERROR_STATUS[code], method: req.method, path: req.path, where }, 'request refused');
    res
      .status(BODY_ERROR_STATUS[code])
      .set('Cache-Control', 'no-store')
      .json({ code, message: `${where} holds U+0000, which no field accepts` });
  });
  app.use((err: BodyParserError, req: Request, res: Response, next: NextFunction) => {
    const status = err.status ?? err.statusCode;
    if (status === undefined || status < 400 || status >= 500) {
      next(err);
      return;
    }
    const code = bodyErrorCode(err);
    const message = bodyErrorMessage(code, err, req);
    log.info(
      {
        code,
        status: BODY_ERROR_STATUS[code],
        method: req.method,
        path: req.path,
        encoding: req.headers['content-encoding'],
      },
      'request body rejected',
    );
    res.status(BODY_ERROR_STATUS[code]).set('Cache-Control', 'no-store').json({ code, message });
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
