import type { Logger } from '@lanbridge/logging';
import webpush from 'web-push';
import { endpointProblem } from './push-endpoint';
import type { PushPayload, PushProvider, PushResult, PushTarget } from './push-provider';
import type { VapidKeys } from './vapid-keys';

export interface WebPushProviderOptions {
  /** Resolved at send time: configured, or made on first boot (VapidKeyService). */
  readonly vapid: () => VapidKeys;
  readonly subject: string;
  readonly ttlS: number;
  readonly allowLoopbackHttp: boolean;
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/** Largest push-service answer read (it is only logged). */
const MAX_ANSWER_BYTES = 4096;

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291):
 * web-push builds and encrypts the request, and we send it ourselves so the endpoint policy
 * (public https only) is checked on every send and redirects are never followed.
 */
export class WebPushProvider implements PushProvider {
  private readonly log: Logger;

  constructor(private readonly opts: WebPushProviderOptions) {
    this.log = opts.logger.child({ component: 'web-push' });
  }

  async send(target: PushTarget, payload: PushPayload): Promise<PushResult> {
    const problem = endpointProblem(target.endpoint, this.opts.allowLoopbackHttp);
    // A subscription stored under a looser policy (a test broker's database in production).
    if (problem) return { gone: true, status: 0 };
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
    let res: Response;
    try {
      res = await fetch(details.endpoint, {
        method: 'POST',
        headers,
        body: details.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const cause = (e.cause as { code?: string } | undefined)?.code;
      return { retry: true, reason: `push service unreachable (${cause ?? e.name})` };
    }
    const answer = await readBounded(res);
    if (res.status >= 200 && res.status < 300) return { ok: true };
    if (res.status === 404 || res.status === 410) return { gone: true, status: res.status };
    this.log.debug({ status: res.status, answer, subscriptionId: target.id }, 'push service refused');
    return { retry: true, reason: `push service answered ${res.status}` };
  }
}

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || !value) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // The answer body is only for the logs.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}
