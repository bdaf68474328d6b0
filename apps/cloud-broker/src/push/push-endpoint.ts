import { isIP } from 'node:net';

/** Longest endpoint URL accepted (real push services use a few hundred characters). */
export const MAX_ENDPOINT_LENGTH = 2048;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Private, loopback, link-local and other non-public address literals the broker never posts to. */
function isInternalAddress(hostname: string): boolean {
  const h = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const v = isIP(h);
  if (v === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (v === 6) {
    return h === '::' || h === '::1' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith('::ffff:');
  }
  return false;
}

/**
 * Why the broker will not post to `endpoint`, or undefined. Push services are public https
 * hosts; the broker refuses address literals inside private networks (it must not be made to
 * call into its own network). Outside production, http://127.0.0.1 and http://localhost are
 * allowed for a local push service in tests.
 */
export function endpointProblem(endpoint: string, allowLoopbackHttp: boolean): string | undefined {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return `endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`;
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return 'endpoint is not a URL';
  }
  if (u.username || u.password) return 'endpoint must not carry credentials';
  if (u.protocol === 'http:' && allowLoopbackHttp && LOOPBACK_NAMES.has(u.hostname)) return undefined;
  if (u.protocol !== 'https:') return 'endpoint must be an https URL';
  if (isInternalAddress(u.hostname)) return 'endpoint must be a public push service';
  return undefined;
}
