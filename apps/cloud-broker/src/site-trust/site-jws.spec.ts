import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  peekIssuer,
  siteKeyMaterial,
  siteKeyThumbprint,
  type SiteSigningJwk,
  verifySiteAccessToken,
  verifySiteHello,
} from './site-jws';
import { VerifiedTokenCache } from './verified-token.cache';

const NOW = 1_800_000_000;
const NONCE = 'bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2U';
const SITE = '7f0c3d8e-2b1a-4c5d-9e8f-0a1b2c3d4e5f';

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function keyPair(): { privateKey: KeyObject; jwk: SiteSigningJwk } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = String(publicKey.export({ format: 'jwk' }).x);
  return { privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x } };
}

function jws(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

const site = keyPair();
const enc = { kty: 'OKP', crv: 'X25519', x: 'u'.repeat(43), kid: 'e1', alg: 'ECDH-ES', use: 'enc' };
const helloHeader = { alg: 'EdDSA', typ: 'site-hello+jwt', jwk: site.jwk };
const helloClaims = { iss: SITE, nonce: NONCE, hid: 'h-1', enc, iat: NOW, exp: NOW + 120, v: 1 };

describe('site hello', () => {
  it('accepts a hello signed by the key in its header and returns that key with its RFC 7638 thumbprint', () => {
    const r = verifySiteHello(jws(helloHeader, helloClaims, site.privateKey), { nonce: NONCE, now: NOW + 5 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.site.siteId).toBe(SITE);
    expect(r.site.jwk).toEqual(site.jwk);
    expect(r.site.thumbprint).toBe(siteKeyThumbprint(site.jwk));
    expect(r.site.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['malformed', () => 'a.b'],
    ['bad-header', () => jws({ ...helloHeader, typ: 'JWT' }, helloClaims, site.privateKey)],
    ['bad-header', () => jws({ ...helloHeader, alg: 'none' }, helloClaims, site.privateKey)],
    ['bad-key', () => jws({ ...helloHeader, jwk: { ...site.jwk, crv: 'X25519' } }, helloClaims, site.privateKey)],
    ['bad-key', () => jws({ ...helloHeader, jwk: { ...site.jwk, d: 'secret' } }, helloClaims, site.privateKey)],
    ['bad-signature', () => jws(helloHeader, helloClaims, keyPair().privateKey)],
    ['bad-claims', () => jws(helloHeader, { ...helloClaims, v: 2 }, site.privateKey)],
    [
      'bad-claims',
      () => jws(helloHeader, { ...helloClaims, enc: { kty: 'OKP', crv: 'Ed25519', x: 'x' } }, site.privateKey),
    ],
    ['nonce-mismatch', () => jws(helloHeader, { ...helloClaims, nonce: 'other' }, site.privateKey)],
    ['expired', () => jws(helloHeader, { ...helloClaims, exp: NOW }, site.privateKey)],
    ['not-yet-valid', () => jws(helloHeader, { ...helloClaims, iat: NOW + 61 }, site.privateKey)],
  ])('refuses %s', (reason, make) => {
    expect(verifySiteHello(make(), { nonce: NONCE, now: NOW })).toEqual({ ok: false, reason });
  });
});

describe('site access token', () => {
  const material = siteKeyMaterial(SITE, site.jwk);
  if (!material) throw new Error('no key material');
  const header = { alg: 'EdDSA', typ: 'at+jwt', kid: material.thumbprint };
  const claims = {
    iss: SITE,
    aud: 'lanbridge-mobile',
    sub: 'op-1',
    role: 'admin',
    name: 'admin',
    sid: 'fam-1',
    iat: NOW,
    exp: NOW + 900,
    jti: 'j-1',
  };

  it('verifies with the recorded key and returns role, subject, session and expiry', () => {
    const token = jws(header, claims, site.privateKey);
    expect(verifySiteAccessToken(token, material, NOW + 1)).toEqual({
      ok: true,
      claims: { iss: SITE, sub: 'op-1', role: 'admin', sid: 'fam-1', iat: NOW, exp: NOW + 900 },
    });
    expect(peekIssuer(token)).toBe(SITE);
  });

  it.each([
    ['malformed', () => 'x'.repeat(5000)],
    ['bad-header', () => jws({ ...header, typ: 'site-hello+jwt' }, claims, site.privateKey)],
    ['unknown-key', () => jws({ ...header, kid: 'another' }, claims, site.privateKey)],
    ['bad-signature', () => jws(header, claims, keyPair().privateKey)],
    ['bad-claims', () => jws(header, { ...claims, role: 'root' }, site.privateKey)],
    ['wrong-issuer', () => jws(header, { ...claims, iss: 'another-site' }, site.privateKey)],
    ['wrong-audience', () => jws(header, { ...claims, aud: 'lanbridge-app' }, site.privateKey)],
    ['expired', () => jws(header, { ...claims, exp: NOW }, site.privateKey)],
    ['not-yet-valid', () => jws(header, { ...claims, iat: NOW + 120 }, site.privateKey)],
  ])('refuses %s', (reason, make) => {
    expect(verifySiteAccessToken(make(), material, NOW)).toEqual({ ok: false, reason });
  });

  it('refuses a token whose claims were altered after signing', () => {
    const [h, , s] = jws(header, claims, site.privateKey).split('.');
    const altered = `${h}.${b64({ ...claims, role: 'personnel' })}.${s}`;
    expect(verifySiteAccessToken(altered, material, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});

describe('VerifiedTokenCache', () => {
  const entry = (orgId: string, exp: number, thumbprint = 't1') => ({
    orgId,
    siteId: 's',
    role: 'admin' as const,
    sub: 'u',
    sid: 'f',
    exp,
    thumbprint,
  });

  it('forgets expired tokens, evicts the least recently used and drops an org on a key change', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', entry('o1', NOW + 10));
    cache.set('b', entry('o2', NOW + 10));
    expect(cache.get('a', NOW)?.orgId).toBe('o1'); // a is now the most recent
    cache.set('c', entry('o2', NOW + 10));
    expect(cache.get('b', NOW)).toBeUndefined();
    expect(cache.get('a', NOW + 10)).toBeUndefined(); // expired
    cache.set('d', entry('o2', NOW + 10, 't2'));
    cache.dropOrg('o2', 't2');
    expect(cache.get('c', NOW)).toBeUndefined();
    expect(cache.get('d', NOW)?.thumbprint).toBe('t2');
  });
});
