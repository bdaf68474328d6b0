import { parseIngressUrl, requestHeadersForTunnel, responseHeadersForClient } from './forward-headers';

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
function get(flat: readonly string[], name: string): string[] {
  return pairs(flat)
    .filter(([n]) => n.toLowerCase() === name.toLowerCase())
    .map(([, v]) => v);
}

const ctx = { clientIp: '203.0.113.7', proto: 'https', prefix: '/t/acme', upgrade: false };

describe('requestHeadersForTunnel', () => {
  it('drops hop-by-hop headers and those named in Connection, keeps the rest in order', () => {
    const raw = [
      'Host',
      'broker.example',
      'Connection',
      'keep-alive, X-Secret-Hop',
      'Keep-Alive',
      'timeout=5',
      'Proxy-Connection',
      'keep-alive',
      'Proxy-Authorization',
      'Basic abc',
      'TE',
      'trailers',
      'Trailer',
      'X-Checksum',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'h2c',
      'X-Secret-Hop',
      'drop me',
      'Accept',
      'text/html',
      'Set-Cookie-Like',
      'a=1',
      'Accept',
      'application/json',
    ];
    const out = requestHeadersForTunnel(raw, ctx);
    const names = pairs(out).map(([n]) => n.toLowerCase());
    for (const hop of [
      'connection',
      'keep-alive',
      'proxy-connection',
      'proxy-authorization',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'x-secret-hop',
    ]) {
      expect(names).not.toContain(hop);
    }
    expect(get(out, 'accept')).toEqual(['text/html', 'application/json']);
    expect(get(out, 'host')).toEqual(['broker.example']);
    expect(get(out, 'set-cookie-like')).toEqual(['a=1']);
  });

  it('adds X-Forwarded-* and Via, appending to an existing X-Forwarded-For and Via', () => {
    const raw = [
      'Host',
      'b.example:8443',
      'X-Forwarded-For',
      '198.51.100.1',
      'Via',
      '1.0 edge',
      'X-Forwarded-Proto',
      'gopher',
      'X-Forwarded-Prefix',
      '/evil',
      'X-Forwarded-Host',
      'evil.example',
    ];
    const out = requestHeadersForTunnel(raw, { ...ctx, clientIp: '::ffff:203.0.113.7' });
    expect(get(out, 'x-forwarded-for')).toEqual(['198.51.100.1, 203.0.113.7']);
    expect(get(out, 'x-forwarded-proto')).toEqual(['https']);
    expect(get(out, 'x-forwarded-host')).toEqual(['b.example:8443']);
    expect(get(out, 'x-forwarded-prefix')).toEqual(['/t/acme']);
    expect(get(out, 'via')).toEqual(['1.0 edge, 1.1 lanbridge']);
  });

  it('keeps Upgrade and sends Connection: Upgrade when upgrading', () => {
    const raw = ['Host', 'h', 'Connection', 'keep-alive, Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k=='];
    const out = requestHeadersForTunnel(raw, { ...ctx, upgrade: true });
    expect(get(out, 'upgrade')).toEqual(['websocket']);
    expect(get(out, 'connection')).toEqual(['Upgrade']);
    expect(get(out, 'sec-websocket-key')).toEqual(['k==']);
  });
});

describe('responseHeadersForClient', () => {
  it('drops hop-by-hop headers, keeps repeated Set-Cookie, adds Via', () => {
    const raw = [
      'Content-Type',
      'text/plain',
      'Transfer-Encoding',
      'chunked',
      'Connection',
      'close, X-Internal',
      'X-Internal',
      'x',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
    ];
    const out = responseHeadersForClient(raw, false);
    expect(pairs(out)).toEqual([
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Via', '1.1 lanbridge'],
    ]);
  });

  it('keeps Connection and Upgrade on 101 Switching Protocols', () => {
    const out = responseHeadersForClient(
      ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'x'],
      true,
    );
    expect(get(out, 'upgrade')).toEqual(['websocket']);
    expect(get(out, 'connection')).toEqual(['Upgrade']);
    expect(get(out, 'sec-websocket-accept')).toEqual(['x']);
  });
});

describe('parseIngressUrl', () => {
  it.each([
    ['/t/acme/x/y?q=1', 'acme', '/x/y?q=1'],
    ['/t/acme', 'acme', '/'],
    ['/t/acme/', 'acme', '/'],
    ['/t/acme?q=1', 'acme', '/?q=1'],
    ['/t/a-1/%2F', 'a-1', '/%2F'],
  ])('%s → org %s, path %s', (url, org, path) => {
    expect(parseIngressUrl(url)).toEqual({ orgSlug: org, path, prefix: `/t/${org}` });
  });

  it.each(['/t/', '/t//x', '/t/ACME/x', '/t/-a/x', '/t/a%20b/x'])('refuses %s', (url) => {
    expect(parseIngressUrl(url)).toBeUndefined();
  });
});
