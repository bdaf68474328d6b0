import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { TunnelErrorCode, type TunnelStream } from '@lanbridge/tunnel-protocol';
import { BROKER_LOGGER } from '../config/broker.config';
import type { TunnelEntry } from '../tunnel/tunnel-registry';
import type { Rejected } from './uplink-bodies';
import { UPLINK_ROUTES, UplinkService } from './uplink.service';
import { UplinkError, UplinkErrorCode } from './uplink-error';

/** Largest uplink body (the connector refuses larger ones before they reach the tunnel). */
export const UPLINK_MAX_BODY_BYTES = 1024 * 1024;
/** Time the connector has to deliver a whole body; then the stream is reset. */
export const UPLINK_BODY_TIMEOUT_MS = 30_000;

type BodyOutcome =
  | { readonly kind: 'ok'; readonly body: Buffer }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'gone' };

interface StreamContext {
  readonly orgId: string;
  readonly connectorId: string;
  readonly sessionId: string;
  readonly streamId: number;
  readonly method: string;
  readonly path: string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function noop(): void {}

function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]?.toLowerCase() === name) return headers[i + 1];
  return undefined;
}

function isJson(contentType: string | undefined): boolean {
  const [type, ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='));
  return type === 'application/json' && (charset === undefined || /^charset="?utf-8"?$/.test(charset));
}

/** Reads the whole body, up to `max` bytes and `timeoutMs`. */
function readBody(stream: TunnelStream, max: number, timeoutMs: number): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (outcome: BodyOutcome): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      resolve(outcome);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max) done({ kind: 'too-large' });
      else chunks.push(c);
    };
    const onEnd = (): void => done({ kind: 'ok', body: Buffer.concat(chunks) });
    const onClose = (): void => done({ kind: 'gone' });
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onClose);
  });
}

/**
 * The broker's end of the uplink: each stream a connector opens is one request
 * (`POST /v1/notifications`, …) for the session's organisation. Every answer goes on that
 * stream only; a body that is not text is garbage and resets the stream; the session is never
 * touched.
 */
@Injectable()
export class UplinkStreamHandler {
  private readonly log: Logger;

  constructor(
    private readonly uplink: UplinkService,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'uplink' });
  }

  /** Takes a stream the connector of `entry` opened. */
  handle(entry: TunnelEntry, stream: TunnelStream): void {
    stream.on('error', noop);
    const head = stream.requestHead;
    const ctx: StreamContext = {
      orgId: entry.orgId,
      connectorId: entry.connectorId,
      sessionId: entry.sessionId,
      streamId: stream.id,
      method: head.method,
      path: head.path.split('?')[0] ?? '',
    };
    this.serve(stream, ctx).catch((err: unknown) => {
      this.log.error({ err, ...ctx }, 'uplink stream handler crashed');
      stream.reset(TunnelErrorCode.INTERNAL);
    });
  }

  private async serve(stream: TunnelStream, ctx: StreamContext): Promise<void> {
    const started = Date.now();
    const head = stream.requestHead;
    if (head.upgrade) return this.garbage(stream, ctx, 'upgrade requested on the uplink');
    const route = UPLINK_ROUTES[ctx.path];
    if (!route)
      return this.refuse(stream, ctx, new UplinkError(UplinkErrorCode.UPLINK_NOT_FOUND, 'no such uplink path'));
    if (ctx.method !== route.method) {
      return this.refuse(
        stream,
        ctx,
        new UplinkError(UplinkErrorCode.UPLINK_METHOD_NOT_ALLOWED, `${ctx.path} takes ${route.method}`),
        ['allow', route.method],
      );
    }
    const coding = headerValue(head.headers, 'content-encoding')?.trim().toLowerCase();
    if (coding !== undefined && coding !== '' && coding !== 'identity') {
      // The uplink takes plain JSON only; a compressed body would be read as garbage.
      return this.refuse(
        stream,
        ctx,
        new UplinkError(UplinkErrorCode.UPLINK_UNSUPPORTED_MEDIA_TYPE, 'send the body without a Content-Encoding'),
      );
    }
    if (route.method !== 'DELETE' && !isJson(headerValue(head.headers, 'content-type'))) {
      return this.refuse(
        stream,
        ctx,
        new UplinkError(UplinkErrorCode.UPLINK_UNSUPPORTED_MEDIA_TYPE, 'send application/json (UTF-8)'),
      );
    }
    const read = await readBody(stream, UPLINK_MAX_BODY_BYTES, UPLINK_BODY_TIMEOUT_MS);
    switch (read.kind) {
      case 'gone':
        return;
      case 'timeout':
        this.log.info(ctx, 'uplink body not finished in time; stream reset');
        stream.reset(TunnelErrorCode.CANCELLED, 'body not finished in time');
        return;
      case 'too-large':
        return this.refuse(
          stream,
          ctx,
          new UplinkError(UplinkErrorCode.UPLINK_PAYLOAD_TOO_LARGE, `body over ${UPLINK_MAX_BODY_BYTES} bytes`),
        );
      case 'ok':
        break;
    }
    let body: unknown;
    if (route.method !== 'DELETE') {
      let textBody: string;
      try {
        textBody = UTF8.decode(read.body);
      } catch {
        return this.garbage(stream, ctx, 'body is not UTF-8');
      }
      try {
        body = JSON.parse(textBody);
      } catch {
        return this.refuse(stream, ctx, new UplinkError(UplinkErrorCode.UPLINK_INVALID_JSON, 'body is not valid JSON'));
      }
    }
    let result: object;
    try {
      result = await this.uplink.handle(ctx.orgId, route.route, body);
    } catch (err) {
      if (err instanceof UplinkError) return this.refuse(stream, ctx, err);
      this.log.error({ err, ...ctx }, 'uplink request failed');
      return this.refuse(
        stream,
        ctx,
        new UplinkError(UplinkErrorCode.UPLINK_UNAVAILABLE, 'the cloud could not store this now; try again later', {
          cause: err,
        }),
        [],
        false,
      );
    }
    this.answer(stream, 200, result);
    const rejected = 'rejected' in result && Array.isArray(result.rejected) ? (result.rejected as Rejected[]) : [];
    if (rejected.length > 0) {
      // Problems name fields and rules, never the values, so nothing the site sent is logged.
      const items = rejected.slice(0, 10).map((r) => ({ index: r.index, id: r.id, problems: r.problems.slice(0, 5) }));
      const accepted = 'accepted' in result && Array.isArray(result.accepted) ? result.accepted.length : 0;
      this.log.warn({ ...ctx, status: 200, accepted, rejected: rejected.length, items }, 'uplink items rejected');
    } else this.log.debug({ ...ctx, status: 200, ms: Date.now() - started }, 'uplink request served');
  }

  /** Status + `{code, message}` on this stream; whatever body is still coming is read and dropped. */
  private refuse(stream: TunnelStream, ctx: StreamContext, err: UplinkError, headers: string[] = [], log = true): void {
    if (log) this.log.info({ ...ctx, code: err.code, status: err.status }, 'uplink request refused');
    this.answer(stream, err.status, { code: err.code, message: err.message }, headers);
    this.discardRest(stream);
  }

  private garbage(stream: TunnelStream, ctx: StreamContext, why: string): void {
    this.log.info({ ...ctx, reason: why }, 'uplink stream reset: not a request');
    stream.reset(TunnelErrorCode.PROTOCOL, why);
  }

  private answer(stream: TunnelStream, status: number, body: object, headers: string[] = []): void {
    if (stream.state === 'reset' || stream.state === 'closed') return;
    const json = Buffer.from(JSON.stringify(body));
    stream.sendResponseHead({
      status,
      headers: ['content-type', 'application/json; charset=utf-8', 'content-length', String(json.length), ...headers],
    });
    stream.end(json);
  }

  private discardRest(stream: TunnelStream): void {
    if (stream.readableEnded || stream.state === 'reset' || stream.state === 'closed') return;
    let size = 0;
    const timer = setTimeout(
      () => stream.reset(TunnelErrorCode.CANCELLED, 'body not finished in time'),
      UPLINK_BODY_TIMEOUT_MS,
    );
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > UPLINK_MAX_BODY_BYTES) stream.reset(TunnelErrorCode.CANCELLED, 'refused body still coming');
    });
    stream.once('close', () => clearTimeout(timer));
    stream.once('end', () => clearTimeout(timer));
    stream.resume();
  }
}
