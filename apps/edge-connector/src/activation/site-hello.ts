import { randomBytes } from 'node:crypto';

/** An access-core hello is under 2 KiB; anything much larger is not one. */
const MAX_HELLO_LENGTH = 8192;

/**
 * The local application's site hello (access-core's identity, signed by its key), asked with a
 * nonce of our own, so the cloud can tell at activation which site this connector reaches and
 * refuse a site that already belongs to another company. Undefined when the application has none
 * (another kind of application, or not reachable now): the cloud then decides on the tunnel.
 */
export async function fetchSiteHello(localAppUrl: string, timeoutMs = 3000): Promise<string | undefined> {
  try {
    const res = await fetch(`${localAppUrl.replace(/\/+$/, '')}/api/v1/auth/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ nonce: randomBytes(32).toString('base64url') }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return undefined;
    }
    const text = await res.text();
    if (text.length > MAX_HELLO_LENGTH + 64) return undefined;
    const hello = (JSON.parse(text) as { hello?: unknown } | null)?.hello;
    return typeof hello === 'string' && hello.length <= MAX_HELLO_LENGTH ? hello : undefined;
  } catch {
    return undefined;
  }
}
