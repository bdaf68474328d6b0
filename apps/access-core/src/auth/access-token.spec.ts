import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  ed25519Thumbprint,
  publicJwk,
  publicKeyFromJwk,
  signAccessToken,
  verifyAccessToken,
  type SigningKey,
} from './access-token';

function key(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = createPublicKey(privateKey);
  return { kid: ed25519Thumbprint(publicKey), privateKey, publicKey };
}

describe('access tokens (EdDSA compact JWS)', () => {
  const k = key();
  const claims = {
    iss: 'site-1',
    sub: 'op-1',
    role: 'admin' as const,
    name: 'admin',
    sid: 'fam-1',
    iat: 1000,
    exp: 1900,
  };
  const keyFor = (kid: string) => (kid === k.kid ? k.publicKey : undefined);

  it('round-trips and verifies with the published JWK alone', () => {
    const token = signAccessToken(k, claims);
    const r = verifyAccessToken(token, (kid) => (kid === k.kid ? publicKeyFromJwk(publicJwk(k)) : undefined), {
      issuer: 'site-1',
      now: 1500,
    });
    expect(r).toEqual({ ok: true, claims: { ...claims, aud: 'lanbridge-mobile', jti: expect.any(String) } });
  });

  it.each([
    ['expired', 1900, 'site-1'],
    ['wrong-issuer', 1500, 'site-2'],
    ['not-yet-valid', 900, 'site-1'],
  ])('refuses %s', (reason, now, issuer) => {
    expect(verifyAccessToken(signAccessToken(k, claims), keyFor, { issuer, now })).toEqual({ ok: false, reason });
  });

  it('refuses another key, a changed payload, a changed header and garbage', () => {
    const other = key();
    expect(verifyAccessToken(signAccessToken(other, claims), keyFor, { issuer: 'site-1', now: 1500 })).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
    const [h, , s] = signAccessToken(k, claims).split('.');
    const evil = Buffer.from(
      JSON.stringify({ ...claims, role: 'admin', sub: 'op-2', aud: 'lanbridge-mobile', jti: 'x' }),
    ).toString('base64url');
    expect(verifyAccessToken(`${h}.${evil}.${s}`, keyFor, { issuer: 'site-1', now: 1500 })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: k.kid })).toString('base64url');
    expect(verifyAccessToken(`${none}.${evil}.${s}`, keyFor, { issuer: 'site-1', now: 1500 })).toEqual({
      ok: false,
      reason: 'bad-header',
    });
    for (const junk of ['', 'a.b', 'a.b.c.d', '!!.!!.!!', 'x'.repeat(5000)]) {
      expect(verifyAccessToken(junk, keyFor, { issuer: 'site-1', now: 1500 }).ok).toBe(false);
    }
  });
});
