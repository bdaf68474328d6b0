/**
 * Hop-by-hop headers (RFC 9110 §7.6.1 plus the usual legacy ones) describe one connection and
 * must not be forwarded. `expect` is dropped too: the body is already streaming through the
 * tunnel, so a 100-continue handshake with the local app has nothing to gate.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

export interface FilterOptions {
  /** Keep `connection` and `upgrade` (an upgrade request, or a 101 answer). */
  readonly keepUpgrade?: boolean;
  /** Drop `host` as well (the forwarder sets the local app's own host). */
  readonly dropHost?: boolean;
}

/** Lower-cased names listed in Connection headers, which are hop-by-hop for this message. */
function connectionTokens(flat: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i].length === 10 && flat[i].toLowerCase() === 'connection') {
      for (const t of flat[i + 1].split(',')) {
        const name = t.trim().toLowerCase();
        if (name) (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}

/** Returns a new flat [name, value, …] list without hop-by-hop headers. Names keep their case. */
export function filterHopByHop(flat: readonly string[], opts: FilterOptions = {}): string[] {
  const named = connectionTokens(flat);
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    const lower = name.toLowerCase();
    if (opts.keepUpgrade && (lower === 'connection' || lower === 'upgrade')) {
      out.push(name, flat[i + 1]);
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    if (opts.dropHost && lower === 'host') continue;
    if (named?.has(lower)) continue;
    out.push(name, flat[i + 1]);
  }
  return out;
}

/** First value of `name` (lower-case) in a flat list. */
export function headerValue(flat: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i].length === name.length && flat[i].toLowerCase() === name) return flat[i + 1];
  }
  return undefined;
}
