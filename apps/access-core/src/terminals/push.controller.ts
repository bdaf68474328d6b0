import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG } from '../config/config.tokens';
import type { AccessCoreRequest } from '../http/request-context';
import { parseQuery } from './push-codec';
import { PushService, type PushReply, type PushRequest } from './push.service';

type BodyRead = { ok: true; body: string } | { ok: false; status: number; reason: string };

/** Reads the raw body as UTF-8 text, refusing more than `limit` bytes. Never rejects. */
function readBody(req: AccessCoreRequest, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ ok: false, status: 413, reason: `body larger than ${limit} bytes` });
  }
  // Terminals send plain text; compressed bytes read as text would be stored as garbage.
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return Promise.resolve({
      ok: false,
      status: 415,
      reason: `Content-Encoding ${encoding.slice(0, 40)} is not accepted`,
    });
  }
  // Express's JSON parser (mounted app-wide) already consumed `application/json` bodies.
  if ((req as { _body?: boolean })._body === true || req.readableEnded) {
    return Promise.resolve(
      req.headers['content-type']?.includes('json')
        ? { ok: false, status: 415, reason: 'JSON bodies are not PUSH' }
        : { ok: true, body: '' },
    );
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (r: BodyRead): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish({ ok: false, status: 413, reason: `body larger than ${limit} bytes` });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks).toString('utf8') });
    const onError = (): void => finish({ ok: false, status: 400, reason: 'request body aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function endpointOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  const rest = path.replace(/^\/+iclock\/*/i, '');
  return rest
    .toLowerCase()
    .replace(/\.aspx$/, '')
    .replace(/\/+$/, '');
}

function send(res: ServerResponse, reply: PushReply, close: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(reply.body, 'utf8');
  res.statusCode = reply.status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  // Attendance firmware sets its clock from this header (docs/push-protocol.md §1); Node sends one anyway.
  res.setHeader('Date', new Date().toUTCString());
  if (close) res.setHeader('Connection', 'close');
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  res.end(body);
}

/**
 * `/iclock/*`: the terminals' PUSH endpoints. Plain text in and out (no JSON error bodies, no
 * Nest exception filter): the protocol logic is in PushService, which never throws.
 */
@Controller('iclock')
export class PushController {
  constructor(
    private readonly push: PushService,
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
  ) {}

  @All(['', '*path'])
  async handle(@Req() req: AccessCoreRequest, @Res() res: ServerResponse): Promise<void> {
    const url = req.originalUrl ?? req.url ?? '';
    const base = {
      method: (req.method ?? 'GET').toUpperCase(),
      endpoint: endpointOf(url),
      query: parseQuery(url),
      ip: req.ip,
    };
    const read = await readBody(req, this.config.PUSH_MAX_BODY_BYTES);
    if (!read.ok) {
      send(res, this.push.refuse(base, read.status, read.reason), true);
      return;
    }
    const cookie = req.headers.cookie;
    const request: PushRequest = { ...base, body: read.body, cookie };
    send(res, await this.push.handle(request), false);
  }
}
