import type { IncomingMessage } from 'node:http';
import type { SiteTokenCheck } from '../site-trust/site-trust.service';
import { bearerToken, checkSiteSession, clientIpOf, publicRoute, type SiteSessionGate } from './site-session.gate';

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJzIn0.c2ln';

function req(
  method: string,
  headers: Record<string, string> = {},
  remoteAddress = '::ffff:203.0.113.7',
): IncomingMessage {
  return { method, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

function gate(check: SiteTokenCheck, waitS?: number): SiteSessionGate & { verified: string[]; spent: string[] } {
  const verified: string[] = [];
  const spent: string[] = [];
  return {
    verified,
    spent,
    trustProxyHops: 0,
    verify: (orgId, token) => {
      verified.push(`${orgId} ${token}`);
      return Promise.resolve(check);
    },
    spendSignIn: (orgId, ip) => {
      spent.push(`${orgId} ${ip}`);
      return Promise.resolve(waitS);
    },
  };
}

const OK: SiteTokenCheck = { ok: true, orgId: 'o', siteId: 's', role: 'admin', sub: 'u', sid: 'f', exp: 1 };

describe('publicRoute', () => {
  it.each([
    ['POST', '/api/v1/auth/hello', 'sign-in'],
    ['POST', '/api/v1/auth/login?x=1', 'sign-in'],
    ['POST', '/api/v1/auth/refresh', 'sign-in'],
    ['GET', '/.well-known/jwks.json', 'public'],
    ['GET', '/api/v1/auth/jwks', 'public'],
    ['HEAD', '/api/v1/privacy-policy', 'public'],
  ])('%s %s is %s', (method, path, kind) => {
    expect(publicRoute(method, path)).toBe(kind);
  });

  it.each([
    ['GET', '/api/v1/auth/login'],
    ['POST', '/api/v1/auth/login/'],
    ['POST', '/API/V1/AUTH/LOGIN'],
    ['POST', '/api/v1/auth/logout'],
    ['POST', '/api/v1/auth/jwks'],
    ['GET', '/api/v1/auth/%6Awks'],
    ['GET', '//api/v1/auth/jwks'],
  ])('%s %s needs a session', (method, path) => {
    expect(publicRoute(method, path)).toBeUndefined();
  });
});

describe('bearerToken', () => {
  it('reads Authorization: Bearer, any case of the scheme', () => {
    expect(bearerToken(req('GET', { authorization: `Bearer ${TOKEN}` }), false)).toBe(TOKEN);
    expect(bearerToken(req('GET', { authorization: `bearer ${TOKEN}` }), false)).toBe(TOKEN);
    expect(bearerToken(req('GET'), false)).toBeUndefined();
  });

  it("answers '' for a credential that is not a compact JWS", () => {
    expect(bearerToken(req('GET', { authorization: 'Basic dXNlcjpwYXNz' }), false)).toBe('');
    expect(bearerToken(req('GET', { authorization: 'Bearer a.b' }), false)).toBe('');
  });

  it('reads the bearer.<token> subprotocol on upgrades only', () => {
    const ws = req('GET', { 'sec-websocket-protocol': `lanbridge.stream.v1, bearer.${TOKEN}` });
    expect(bearerToken(ws, true)).toBe(TOKEN);
    expect(bearerToken(ws, false)).toBeUndefined();
    expect(bearerToken(req('GET', { 'sec-websocket-protocol': 'lanbridge.stream.v1' }), true)).toBeUndefined();
  });
});

describe('clientIpOf', () => {
  const r = req('GET', { 'x-forwarded-for': '198.51.100.9, 192.0.2.1' }, '10.0.0.5');
  it('is the socket peer unless proxies are trusted', () => {
    expect(clientIpOf(r, 0)).toBe('10.0.0.5');
    expect(clientIpOf(req('GET'), 0)).toBe('203.0.113.7');
  });
  it('walks X-Forwarded-For back one entry per trusted hop', () => {
    expect(clientIpOf(r, 1)).toBe('192.0.2.1');
    expect(clientIpOf(r, 2)).toBe('198.51.100.9');
    expect(clientIpOf(r, 5)).toBe('198.51.100.9');
  });
});

describe('checkSiteSession', () => {
  it('lets public routes through without a token or a rate limit', async () => {
    const g = gate(OK);
    expect(await checkSiteSession(g, req('GET'), 'o', '/.well-known/jwks.json', false, 'ip')).toBeUndefined();
    expect(g.spent).toEqual([]);
  });

  it('asks a token of an upgrade even on a public route (none of them is a WebSocket)', async () => {
    const g = gate(OK);
    expect(await checkSiteSession(g, req('GET'), 'o', '/.well-known/jwks.json', true, 'ip')).toMatchObject({
      code: 'SESSION_REQUIRED',
    });
    expect(await checkSiteSession(g, req('POST'), 'o', '/api/v1/auth/login', true, 'ip')).toMatchObject({
      code: 'SESSION_REQUIRED',
    });
    expect(g.spent).toEqual([]);
  });

  it('spends a sign-in attempt of (org, ip) and refuses with 429 and Retry-After when none is left', async () => {
    expect(await checkSiteSession(gate(OK), req('POST'), 'o', '/api/v1/auth/login', false, 'ip')).toBeUndefined();
    const g = gate(OK, 42);
    expect(await checkSiteSession(g, req('POST'), 'o', '/api/v1/auth/hello', false, '192.0.2.1')).toMatchObject({
      code: 'RATE_LIMITED',
      headers: ['Retry-After', '42'],
    });
    expect(g.spent).toEqual(['o 192.0.2.1']);
  });

  it('maps a missing, bad or unverifiable token to its refusal, never reaching verify for garbage', async () => {
    expect(await checkSiteSession(gate(OK), req('GET'), 'o', '/api/v1/me', false, 'ip')).toMatchObject({
      code: 'SESSION_REQUIRED',
      reason: 'no-token',
    });
    const g = gate(OK);
    const garbage = req('GET', { authorization: 'Bearer nope' });
    expect(await checkSiteSession(g, garbage, 'o', '/api/v1/me', false, 'ip')).toMatchObject({
      code: 'SESSION_INVALID',
      reason: 'malformed',
    });
    expect(g.verified).toEqual([]);
    const bearer = req('GET', { authorization: `Bearer ${TOKEN}` });
    expect(
      await checkSiteSession(gate({ ok: false, reason: 'expired' }), bearer, 'o', '/api/v1/me', false, 'ip'),
    ).toMatchObject({ code: 'SESSION_INVALID', reason: 'expired' });
    expect(
      await checkSiteSession(gate({ ok: false, reason: 'key-unavailable' }), bearer, 'o', '/api/v1/me', false, 'ip'),
    ).toMatchObject({ code: 'SITE_KEY_UNAVAILABLE', headers: ['Retry-After', '5'] });
    const ok = gate(OK);
    expect(await checkSiteSession(ok, bearer, 'org-1', '/api/v1/me?x=1', false, 'ip')).toBeUndefined();
    expect(ok.verified).toEqual([`org-1 ${TOKEN}`]);
  });
});
