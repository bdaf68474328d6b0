import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Logger } from '@lanbridge/logging';
import webpush from 'web-push';
import { type Lookup, type PushEndpointPolicy, resolveEndpoint, systemLookup } from './push-endpoint';
import type { PushPayload, PushProvider, PushResult, PushTarget } from './push-provider';
import type { VapidKeys } from './vapid-keys';

export interface WebPushProviderOptions {
  /** Resolved at send time: configured, or made on first boot (VapidKeyService). */
  readonly vapid: () => VapidKeys;
  readonly subject: string;
  readonly ttlS: number;
  readonly endpoints: PushEndpointPolicy;
  /** The resolver (the system's by default). */
  readonly lookup?: Lookup;
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/** Largest push-service answer read (it is only logged). */
const MAX_ANSWER_BYTES = 4096;

interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * A lookup that answers every question with the one address already checked, so the socket
 * connects there and nowhere else; TLS still verifies the certificate for the endpoint's name.
 */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291):
 * web-push builds and encrypts the request, and we send it ourselves: the endpoint policy
 * (push-endpoint.ts) is checked on every send against a fresh DNS answer, the connection goes to
 * the address that was checked, and redirects are never followed.
 */
export class WebPushProvider implements PushProvider {
  private readonly log: Logger;

  constructor(private readonly opts: WebPushProviderOptions) {
    this.log = opts.logger.child({ component: 'web-push' });
  }

  async send(target: PushTarget, payload: PushPayload): Promise<PushResult> {
    const resolved = await resolveEndpoint(target.endpoint, this.opts.endpoints, this.opts.lookup ?? systemLookup);
    if (!resolved.ok) {
      this.log.warn({ subscriptionId: target.id, problem: resolved.problem }, 'push endpoint refused at send time');
      // A subscription the policy refuses outright (stored under a looser one) is dropped.
      if (!resolved.transient) return { gone: true, status: 0 };
      return { retry: true, reason: `push endpoint refused: ${resolved.problem}` };
    }
    const vapid = this.opts.vapid();
    const details = webpush.generateRequestDetails(
      { endpoint: target.endpoint, keys: target.keys },
      Buffer.from(payload.body, 'utf8'),
      {
        vapidDetails: { subject: this.opts.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: this.opts.ttlS,
        contentEncoding: 'aes128gcm',
        urgency: payload.urgency,
      },
    );
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(details.headers)) headers[k] = String(v);
    const body = details.body ?? Buffer.alloc(0);
    headers['content-length'] = String(body.length);
    let answer: Answer;
    try {
      answer = await this.post(resolved.url, resolved.address, resolved.family, headers, body);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const code = (e as { code?: unknown }).code;
      return { retry: true, reason: `push service unreachable (${typeof code === 'string' ? code : e.name})` };
    }
    if (answer.status >= 200 && answer.status < 300) return { ok: true };
    if (answer.status === 404 || answer.status === 410) return { gone: true, status: answer.status };
    // 3xx included: a push service does not redirect, and following one would leave the policy.
    this.log.debug({ status: answer.status, answer: answer.body, subscriptionId: target.id }, 'push service refused');
    return { retry: true, reason: `push service answered ${answer.status}` };
  }

  private post(
    url: URL,
    address: string,
    family: 4 | 6,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request(
        url,
        {
          method: 'POST',
          headers,
          lookup: pinnedLookup(address, family),
          // One connection per delivery: a pooled socket could belong to an earlier address.
          agent: false,
          timeout: this.opts.timeoutMs ?? 10_000,
        },
        (res) => {
          readBounded(res).then(
            (text) => resolve({ status: res.statusCode ?? 0, body: text }),
            () => resolve({ status: res.statusCode ?? 0, body: '' }),
          );
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('push service timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The first MAX_ANSWER_BYTES of an answer (only for the logs); the rest is dropped with the socket. */
function readBounded(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      res.off('data', onData);
      resolve(Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES));
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      if (size >= MAX_ANSWER_BYTES) {
        done();
        res.destroy();
      }
    };
    res.on('data', onData);
    res.once('end', done);
    res.once('error', done);
    res.once('close', done);
  });
}
