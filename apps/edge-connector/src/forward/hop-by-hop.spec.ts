import { filterHopByHop, headerValue } from './hop-by-hop';

const flat = (pairs: readonly (readonly [string, string])[]): string[] => pairs.flatMap(([n, v]) => [n, v]);

describe('filterHopByHop', () => {
  const request = flat([
    ['Host', 'public.example.com'],
    ['Connection', 'keep-alive, X-Trace-Hop'],
    ['Keep-Alive', 'timeout=5'],
    ['Transfer-Encoding', 'chunked'],
    ['TE', 'trailers'],
    ['Trailer', 'x-sum'],
    ['Upgrade', 'websocket'],
    ['Proxy-Authorization', 'Basic abc'],
    ['Proxy-Connection', 'keep-alive'],
    ['X-Trace-Hop', '1'],
    ['Expect', '100-continue'],
    ['Content-Type', 'application/json'],
    ['Content-Length', '12'],
    ['X-Forwarded-For', '203.0.113.9'],
    ['Set-Cookie', 'a=1'],
    ['Set-Cookie', 'b=2'],
  ]);

  it('drops hop-by-hop headers and headers named in Connection, keeping the rest in order', () => {
    expect(filterHopByHop(request)).toEqual(
      flat([
        ['Host', 'public.example.com'],
        ['Content-Type', 'application/json'],
        ['Content-Length', '12'],
        ['X-Forwarded-For', '203.0.113.9'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ]),
    );
  });

  it('drops Host on request', () => {
    expect(filterHopByHop(request, { dropHost: true })).not.toContain('Host');
  });

  it('keeps Connection and Upgrade for upgrades, still dropping the other hop-by-hop headers', () => {
    const upgrade = flat([
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Keep-Alive', '1'],
      ['Sec-WebSocket-Key', 'k'],
    ]);
    expect(filterHopByHop(upgrade, { keepUpgrade: true })).toEqual(
      flat([
        ['Connection', 'Upgrade'],
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Key', 'k'],
      ]),
    );
  });

  it('finds header values case-insensitively', () => {
    expect(headerValue(request, 'content-length')).toBe('12');
    expect(headerValue(request, 'x-missing')).toBeUndefined();
  });
});
