/**
 * The terminal's HTTP client: node:http with a keep-alive agent, as an iClock device keeps one
 * connection to its server. Bodies are plain text; query strings are built by hand so their
 * order matches what devices send (`SN` first).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { TerminalError, TerminalErrorCode } from './terminal-errors';

export interface PushHttpResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

export interface PushHttpOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8090` (a path prefix is kept). */
  readonly serverUrl: string;
  /** Per-request timeout (connect + full answer). */
  readonly timeoutMs: number;
  /** Largest accepted response body; larger answers fail with REPLY_TOO_LARGE. */
  readonly maxReplyBytes: number;
  /** `User-Agent` header; devices send `iClock Proxy/1.09`. */
  readonly userAgent: string;
}

export class PushHttpClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(private readonly opts: PushHttpOptions) {
    this.base = new URL(opts.serverUrl);
    if (this.base.protocol !== 'http:') {
      throw new TerminalError(TerminalErrorCode.BAD_OPTIONS, `serverUrl must be http:// (got ${opts.serverUrl})`);
    }
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  /**
   * Sends one request. Resolves with any HTTP status (callers decide what a status means);
   * rejects with SERVER_UNREACHABLE, TIMEOUT or REPLY_TOO_LARGE.
   */
  request(
    method: 'GET' | 'POST',
    path: string,
    query: ReadonlyArray<readonly [string, string]>,
    body?: string,
    cookie?: string,
  ): Promise<PushHttpResponse> {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const qs = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const headers: http.OutgoingHttpHeaders = { 'User-Agent': this.opts.userAgent, Accept: '*/*' };
    if (cookie) headers['Cookie'] = cookie;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    if (payload) {
      headers['Content-Type'] = 'text/plain;charset=UTF-8';
      headers['Content-Length'] = payload.length;
    }
    return new Promise<PushHttpResponse>((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port || 80,
          method,
          path: `${prefix}${path}${qs ? `?${qs}` : ''}`,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.opts.maxReplyBytes) {
              req.destroy(
                new TerminalError(
                  TerminalErrorCode.REPLY_TOO_LARGE,
                  `reply to ${path} exceeds ${this.opts.maxReplyBytes} B`,
                ),
              );
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            this.inFlight.delete(req);
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            });
          });
          res.on('error', (err) => fail(err));
        },
      );
      const fail = (err: Error): void => {
        this.inFlight.delete(req);
        if (err instanceof TerminalError) reject(err);
        else
          reject(
            new TerminalError(TerminalErrorCode.SERVER_UNREACHABLE, `${method} ${path}: ${err.message}`, {
              cause: err,
            }),
          );
      };
      this.inFlight.add(req);
      req.setTimeout(this.opts.timeoutMs, () =>
        req.destroy(
          new TerminalError(TerminalErrorCode.TIMEOUT, `${method} ${path}: no answer in ${this.opts.timeoutMs} ms`),
        ),
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** Aborts every request in flight (power cut) and closes idle sockets. */
  close(): void {
    for (const req of this.inFlight) {
      req.destroy(new TerminalError(TerminalErrorCode.SERVER_UNREACHABLE, 'terminal stopped'));
    }
    this.inFlight.clear();
    this.agent.destroy();
  }
}
