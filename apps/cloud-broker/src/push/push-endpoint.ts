/**
 * Which push endpoints the broker will POST to. A push subscription's endpoint is a URL a client
 * chose, so without a policy the broker could be made to call into its own network (SSRF). The
 * policy: only hosts on an operator-set allowlist of push services (PUSH_ENDPOINT_HOSTS, the
 * well-known services by default), only https, and only when every address the host resolves to
 * is public. The address is checked at subscribe time and again at every send, and the send
 * connects to the very address it checked (a DNS answer that changes in between cannot point it
 * elsewhere). PUSH_ENDPOINT_ALLOW_INSECURE lifts https and the address check for the listed hosts,
 * for a local push service in tests; the broker refuses it in production.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Longest endpoint URL accepted (real push services use a few hundred characters). */
export const MAX_ENDPOINT_LENGTH = 2048;

/** The push services of the browsers (Chrome and most others on FCM, Firefox, Edge, Safari). */
export const DEFAULT_PUSH_ENDPOINT_HOSTS: readonly string[] = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.notify.windows.com',
  'web.push.apple.com',
  '*.push.apple.com',
];

export interface PushEndpointPolicy {
  /**
   * Hosts push services live at: `name` (any port), `name:port`, `*.suffix` (any name below
   * suffix), or `*` (any host; still https and public addresses only).
   */
  readonly hosts: readonly string[];
  /** Test setting: http, and non-public addresses, for the listed hosts. Never in production. */
  readonly allowInsecure: boolean;
}

const HOST_ENTRY = /^(\*|(\*\.)?[a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

/** PUSH_ENDPOINT_HOSTS: comma-separated entries, lower-cased. */
export function parsePushEndpointHosts(raw: string): { hosts: string[] } | { error: string } {
  const hosts = raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (hosts.length === 0) return { error: 'must list at least one host' };
  const bad = hosts.filter((h) => !HOST_ENTRY.test(h) || (h.startsWith('*') && h.includes(':') && h !== '*'));
  if (bad.length > 0) return { error: `entries must be host, host:port, *.suffix or *; not ${bad.join(', ')}` };
  return { hosts };
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

function listed(u: URL, hosts: readonly string[]): boolean {
  const host = u.hostname.toLowerCase();
  const port = u.port || defaultPort(u.protocol);
  return hosts.some((entry) => {
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry);
    const name = m?.[1] ?? entry;
    const entryPort = m?.[2];
    if (entryPort !== undefined && entryPort !== port) return false;
    if (name.startsWith('*.')) return host.endsWith(name.slice(1)) && host.length > name.length - 1;
    return host === name;
  });
}

/** Why the broker never connects to `address`, or undefined for a public unicast address. */
export function addressProblem(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const range = v6.range();
    if (range === 'ipv4Mapped') ip = v6.toIPv4Address();
    else if (range === 'rfc6052' || range === 'rfc6145') {
      // NAT64 prefixes carry an IPv4 address in their last 32 bits: that one decides.
      const b = v6.toByteArray();
      ip = new ipaddr.IPv4(b.slice(12, 16));
    } else if (range === '6to4') {
      const b = v6.toByteArray();
      ip = new ipaddr.IPv4(b.slice(2, 6));
    } else if (range !== 'unicast') return `${address} is a ${range} address`;
    else return undefined;
  }
  const range = (ip as ipaddr.IPv4).range();
  return range === 'unicast' ? undefined : `${address} is a ${range} address`;
}

/**
 * Why the broker will not post to `endpoint` whatever its host resolves to, or undefined:
 * length, URL syntax, credentials, scheme, the allowlist, an address literal that is not public.
 */
export function endpointProblem(endpoint: string, policy: PushEndpointPolicy): string | undefined {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return `endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`;
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return 'endpoint is not a URL';
  }
  if (u.username || u.password) return 'endpoint must not carry credentials';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && policy.allowInsecure)) {
    return 'endpoint must be an https URL';
  }
  if (!listed(u, policy.hosts)) return `${u.host} is not a push service this broker posts to (PUSH_ENDPOINT_HOSTS)`;
  const literal = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (ipaddr.isValid(literal) && !policy.allowInsecure) {
    const problem = addressProblem(literal);
    if (problem) return `endpoint must be a public push service: ${problem}`;
  }
  return undefined;
}

export type Lookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** The system resolver, every address (as getaddrinfo gives them). */
export const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export type ResolvedEndpoint =
  | { readonly ok: true; readonly url: URL; readonly address: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly problem: string; readonly transient: boolean };

/**
 * Resolves the endpoint's host and checks every address it has (one private address among public
 * ones is enough to refuse: the connection could land on either). The answer names the one
 * address to connect to.
 */
export async function resolveEndpoint(
  endpoint: string,
  policy: PushEndpointPolicy,
  lookup: Lookup = systemLookup,
): Promise<ResolvedEndpoint> {
  const problem = endpointProblem(endpoint, policy);
  if (problem) return { ok: false, problem, transient: false };
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly { address: string; family: number }[];
  try {
    addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookup(host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      ok: false,
      problem: `${url.hostname} does not resolve (${typeof code === 'string' ? code : 'lookup failed'})`,
      transient: code !== 'ENOTFOUND',
    };
  }
  if (addresses.length === 0) return { ok: false, problem: `${url.hostname} has no address`, transient: true };
  if (!policy.allowInsecure) {
    for (const a of addresses) {
      const bad = addressProblem(a.address);
      // Transient for a send: no connection is made, and a later answer may be the service's again.
      if (bad)
        return { ok: false, problem: `${url.hostname} resolves to a non-public address: ${bad}`, transient: true };
    }
  }
  const first = addresses[0];
  return { ok: true, url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
