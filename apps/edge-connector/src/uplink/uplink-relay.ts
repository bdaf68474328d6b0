import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@lanbridge/logging';
import { TunnelError, TunnelErrorCode, type TunnelSession, type TunnelStream } from '@lanbridge/tunnel-protocol';
import { localOriginRefusal } from '../web/local-origin.guard';

/** Largest request body relayed to the broker (the broker enforces the same bound). */
export const UPLINK_MAX_BODY_BYTES = 1024 * 1024;

/** Error codes the relay answers itself (everything else is the broker's answer, passed through). */
export const UplinkRelayErrorCode = {
  TUNNEL_OFFLINE: 'TUNNEL_OFFLINE',
  UPLINK_TIMEOUT: 'UPLINK_TIMEOUT',
  UPLINK_FAILED: 'UPLINK_FAILED',
  UPLINK_NOT_FOUND: 'UPLINK_NOT_FOUND',
  UPLINK_METHOD_NOT_ALLOWED: 'UPLINK_METHOD_NOT_ALLOWED',
  UPLINK_PAYLOAD_TOO_LARGE: 'UPLINK_PAYLOAD_TOO_LARGE',
  UPLINK_UNSUPPORTED_MEDIA_TYPE: 'UPLINK_UNSUPPORTED_MEDIA_TYPE',
  UPLINK_FORBIDDEN: 'UPLINK_FORBIDDEN',
} as const;
export type UplinkRelayErrorCode = (typeof UplinkRelayErrorCode)[keyof typeof UplinkRelayErrorCode];

export const UPLINK_RELAY_STATUS: { readonly [K in UplinkRelayErrorCode]: number } = {
  TUNNEL_OFFLINE: 503,
  UPLINK_TIMEOUT: 504,
  UPLINK_FAILED: 502,
  UPLINK_NOT_FOUND: 404,
  UPLINK_METHOD_NOT_ALLOWED: 405,
  UPLINK_PAYLOAD_TOO_LARGE: 413,
  UPLINK_UNSUPPORTED_MEDIA_TYPE: 415,
  UPLINK_FORBIDDEN: 403,
};

/** Path (below /uplink) → the one method it takes. */
const ROUTES: Readonly<Record<string, string>> = {
  '/v1/notifications': 'POST',
  '/v1/devices': 'POST',
  '/v1/event-logs': 'POST',
  '/v1/settings': 'PUT',
  '/v1/data': 'DELETE',
};

/** Tunnel codes meaning "no session could take the stream": the caller should retry later. */
const OFFLINE_CODES: ReadonlySet<TunnelErrorCode> = new Set([
  TunnelErrorCode.GOING_AWAY,
  TunnelErrorCode.STREAM_REFUSED,
  TunnelErrorCode.CONNECTION_LOST,
  TunnelErrorCode.STREAM_LIMIT,
  TunnelErrorCode.REPLACED,
  TunnelErrorCode.TIMEOUT,
  TunnelErrorCode.REVOKED,
]);

export interface UplinkRelayOptions {
  /** The live tunnel session, if any (TunnelClient.currentSession). */
  readonly session: () => TunnelSession | undefined;
  /** Time the broker has to send its response head. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return charset === undefined || /^charset="?utf-8"?$/.test(charset);
}

/**
 * `/uplink/v1/…` on the local status server: what access-core sends to the cloud (push
 * notifications, devices, event logs, settings). Each request becomes one connector-opened
 * stream on the live tunnel session (path without `/uplink`), its body streamed, and the
 * broker's status and body come back as they are. Mounted ahead of Nest's body parsers so the
 * body is never buffered here.
 */
export class UplinkRelay {
  private readonly log: Logger;
  private readonly maxBodyBytes: number;

  constructor(private readonly opts: UplinkRelayOptions) {
    this.log = opts.logger.child({ component: 'uplink' });
    this.maxBodyBytes = opts.maxBodyBytes ?? UPLINK_MAX_BODY_BYTES;
  }

  /** Express-style handler for the `/uplink` mount point (`req.url` is the rest of the path). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.relay(req, res);
  };

  private relay(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const refusal = localOriginRefusal(req);
    if (refusal) return this.refuse(req, res, UplinkRelayErrorCode.UPLINK_FORBIDDEN, refusal);
    const allowed = ROUTES[path];
    if (!allowed) return this.refuse(req, res, UplinkRelayErrorCode.UPLINK_NOT_FOUND, `no uplink endpoint ${path}`);
    if (method !== allowed) {
      res.setHeader('Allow', allowed);
      return this.refuse(req, res, UplinkRelayErrorCode.UPLINK_METHOD_NOT_ALLOWED, `${path} takes ${allowed}`);
    }
    const contentType = req.headers['content-type'];
    if (method !== 'DELETE' && !isJson(contentType)) {
      return this.refuse(req, res, UplinkRelayErrorCode.UPLINK_UNSUPPORTED_MEDIA_TYPE, 'send application/json (UTF-8)');
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > this.maxBodyBytes) {
      return this.refuse(req, res, UplinkRelayErrorCode.UPLINK_PAYLOAD_TOO_LARGE, this.tooLarge());
    }
    const session = this.opts.session();
    if (!session) return this.refuse(req, res, UplinkRelayErrorCode.TUNNEL_OFFLINE, 'the tunnel to the cloud is down');

    let stream: TunnelStream;
    try {
      stream = session.openStream({ method, path, headers: contentType ? ['content-type', contentType] : [] });
    } catch (err) {
      const code = err instanceof TunnelError ? err.code : TunnelErrorCode.INTERNAL;
      return this.refuse(req, res, UplinkRelayErrorCode.TUNNEL_OFFLINE, `the tunnel took no new stream (${code})`);
    }
    new UplinkExchange(req, res, stream, this.opts.timeoutMs, this.maxBodyBytes, this.log, (code, message) =>
      this.refuse(req, res, code, message),
    ).run();
  }

  private tooLarge(): string {
    return `body over ${this.maxBodyBytes} bytes`;
  }

  /** One log line and `{code, message}`; the rest of the request body is discarded. */
  private refuse(req: IncomingMessage, res: ServerResponse, code: UplinkRelayErrorCode, message: string): void {
    const status = UPLINK_RELAY_STATUS[code];
    const log = status >= 500 ? this.log.warn.bind(this.log) : this.log.info.bind(this.log);
    log({ code, status, method: req.method, path: (req.url ?? '').split('?')[0] }, 'uplink request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ code, message });
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      // A body we refused mid-way would otherwise be read to its end before the next request.
      ...(req.complete ? {} : { Connection: 'close' }),
    });
    res.end(body);
    req.resume();
  }
}

/** One request relayed on one stream: body up, response head and body down, bounded in size and time. */
class UplinkExchange {
  private done = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly stream: TunnelStream,
    private readonly timeoutMs: number,
    private readonly maxBodyBytes: number,
    private readonly log: Logger,
    private readonly refuse: (code: UplinkRelayErrorCode, message: string) => void,
  ) {}

  run(): void {
    const { req, stream } = this;
    stream.on('error', () => undefined);
    this.timer = setTimeout(() => {
      this.fail(UplinkRelayErrorCode.UPLINK_TIMEOUT, `the cloud did not answer within ${this.timeoutMs} ms`);
    }, this.timeoutMs);
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      if (this.done) return;
      bytes += chunk.length;
      if (bytes > this.maxBodyBytes) {
        this.fail(UplinkRelayErrorCode.UPLINK_PAYLOAD_TOO_LARGE, `body over ${this.maxBodyBytes} bytes`);
        return;
      }
      if (!stream.write(chunk)) {
        req.pause();
        stream.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (!this.done) stream.end();
    });
    // The caller went away before its body was complete: the broker must not act on half of it.
    req.on('close', () => {
      if (!req.complete && !this.done) {
        this.finish();
        stream.reset(TunnelErrorCode.CANCELLED, 'caller went away');
      }
    });
    stream.responseHead().then(
      (head) => {
        if (this.done) return;
        this.finish();
        const contentType = headerValue(head.headers, 'content-type') ?? 'application/json; charset=utf-8';
        this.res.writeHead(head.status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        stream.pipe(this.res);
        stream.once('close', () => {
          // Reset mid-body: the answer is cut short, the caller sees a broken response.
          if (stream.resetError && !this.res.writableEnded) this.res.destroy();
        });
      },
      (err: unknown) => {
        const code = err instanceof TunnelError ? err.code : TunnelErrorCode.INTERNAL;
        if (OFFLINE_CODES.has(code)) {
          this.fail(UplinkRelayErrorCode.TUNNEL_OFFLINE, `the tunnel went away (${code})`, false);
        } else {
          this.log.warn({ code, streamId: stream.id }, 'uplink stream reset by the cloud');
          this.fail(UplinkRelayErrorCode.UPLINK_FAILED, `the cloud reset the request (${code})`, false);
        }
      },
    );
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private fail(code: UplinkRelayErrorCode, message: string, reset = true): void {
    if (this.done) return;
    this.finish();
    if (reset) this.stream.reset(TunnelErrorCode.CANCELLED, code);
    this.refuse(code, message);
  }
}

function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i]?.toLowerCase() === name) return headers[i + 1];
  }
  return undefined;
}

/** The relay of a running connector: streams go to its tunnel client's live session. */
export function uplinkRelay(
  runtime: { readonly client: { currentSession(): TunnelSession | undefined } | undefined },
  timeoutMs: number,
  logger: Logger,
): UplinkRelay {
  return new UplinkRelay({ session: () => runtime.client?.currentSession(), timeoutMs, logger });
}
