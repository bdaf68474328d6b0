import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import {
  ORG_QR_ALG,
  ORG_QR_AUDIENCE,
  ORG_QR_TYP,
  ORG_QR_VERSION,
  type OrgQrClaims,
  OrgQrErrorCode,
  orgQrPayload,
  sktOf,
  tokenFromPayload,
  verifyOrgQr,
} from './org-qr-jws';

const ISS = 'https://sg.lanbridge.test';
const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);
const KEY = { kid: 'k1', privateKey };
const NOW = 1_800_000_000;

function b64json(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * A test token signed with a key of the test's own. The broker signs real QR codes with its
 * signing keys (`SigningKeyService.signJws`, used by `OrgQrService`); this only makes tokens
 * for `verifyOrgQr` to check, including ones signed by the wrong key.
 */
function signTestOrgQr(claims: OrgQrClaims, key: { kid: string; privateKey: KeyObject }): string {
  const signingInput = `${b64json({ alg: ORG_QR_ALG, kid: key.kid, typ: ORG_QR_TYP })}.${b64json(claims)}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput, 'ascii'), key.privateKey).toString('base64url')}`;
}

function claims(over: Partial<OrgQrClaims> = {}): OrgQrClaims {
  return {
    iss: ISS,
    sub: '5b0e6a9e-8f5c-4a53-9a9e-2f1f8e0c1d11',
    aud: ORG_QR_AUDIENCE,
    name: 'Acme Ltd',
    api: `${ISS}/t/acme`,
    v: ORG_QR_VERSION,
    iat: NOW,
    exp: NOW + 3600,
    jti: 'jti-1',
    ...over,
  };
}

const opts = { keyFor: (kid: string) => (kid === 'k1' ? publicKey : undefined), issuer: ISS, now: NOW + 10 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

function tamper(token: string, part: 0 | 1, value: object): string {
  const parts = token.split('.');
  parts[part] = Buffer.from(JSON.stringify(value)).toString('base64url');
  return parts.join('.');
}

describe('org QR JWS', () => {
  it('signs a compact EdDSA JWS that node:crypto verifies and verifyOrgQr accepts', () => {
    const token = signTestOrgQr(claims(), KEY);
    const [h, p, s] = token.split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'EdDSA', kid: 'k1', typ: 'org-qr+jwt' });
    expect(verify(null, Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    expect(verifyOrgQr(token, opts)).toEqual(claims());
  });

  it('round-trips through the QR payload', () => {
    const token = signTestOrgQr(claims(), KEY);
    const payload = orgQrPayload(ISS, token);
    expect(payload.startsWith(`${ISS}/o#`)).toBe(true);
    expect(tokenFromPayload(payload)).toBe(token);
    expect(tokenFromPayload(token)).toBe(token);
  });

  it('refuses each kind of bad token with its code', () => {
    const token = signTestOrgQr(claims(), KEY);
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(codeOf(() => verifyOrgQr('a.b', opts))).toBe(OrgQrErrorCode.MALFORMED);
    expect(codeOf(() => verifyOrgQr('x'.repeat(5000), opts))).toBe(OrgQrErrorCode.MALFORMED);
    expect(codeOf(() => verifyOrgQr('@@.@@.@@', opts))).toBe(OrgQrErrorCode.MALFORMED);
    expect(codeOf(() => verifyOrgQr(tamper(token, 0, { alg: 'none', kid: 'k1', typ: 'org-qr+jwt' }), opts))).toBe(
      OrgQrErrorCode.UNSUPPORTED,
    );
    expect(codeOf(() => verifyOrgQr(tamper(token, 0, { alg: 'EdDSA', kid: 'k1', typ: 'JWT' }), opts))).toBe(
      OrgQrErrorCode.UNSUPPORTED,
    );
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(claims(), { kid: 'k2', privateKey: other }), opts))).toBe(
      OrgQrErrorCode.UNKNOWN_KEY,
    );
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(claims(), { kid: 'k1', privateKey: other }), opts))).toBe(
      OrgQrErrorCode.BAD_SIGNATURE,
    );
    expect(codeOf(() => verifyOrgQr(tamper(token, 1, { ...claims(), name: 'Evil Corp' }), opts))).toBe(
      OrgQrErrorCode.BAD_SIGNATURE,
    );
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(claims({ iss: 'https://evil.test' }), KEY), opts))).toBe(
      OrgQrErrorCode.WRONG_ISSUER,
    );
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(claims({ aud: 'other' }), KEY), opts))).toBe(
      OrgQrErrorCode.WRONG_ISSUER,
    );
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(claims({ v: 99 }), KEY), opts))).toBe(
      OrgQrErrorCode.UNSUPPORTED_VERSION,
    );
    expect(codeOf(() => verifyOrgQr(token, { ...opts, now: NOW + 3600 + 61 }))).toBe(OrgQrErrorCode.EXPIRED);
    expect(codeOf(() => verifyOrgQr(token, { ...opts, now: NOW - 61 }))).toBe(OrgQrErrorCode.NOT_YET_VALID);
    const missing: Record<string, unknown> = { ...claims() };
    delete missing.jti;
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(missing as unknown as OrgQrClaims, KEY), opts))).toBe(
      OrgQrErrorCode.MALFORMED,
    );
  });

  it('carries the site key thumbprint skt when there is one, and refuses a malformed one', () => {
    const skt = 'DN_AQ8FeAdZeEZ2qp6OuDpvBajVsyROycEKZqiBiY-s';
    const pinned = signTestOrgQr(claims({ skt }), KEY);
    expect(verifyOrgQr(pinned, opts).skt).toBe(skt);
    expect(sktOf(pinned)).toBe(skt);
    expect(verifyOrgQr(signTestOrgQr(claims(), KEY), opts)).not.toHaveProperty('skt');
    expect(sktOf(signTestOrgQr(claims(), KEY))).toBeUndefined();
    expect(codeOf(() => verifyOrgQr(signTestOrgQr(claims({ skt: 'short' }), KEY), opts))).toBe(
      OrgQrErrorCode.MALFORMED,
    );
  });

  it('tolerates clock skew up to 60 s', () => {
    const token = signTestOrgQr(claims(), KEY);
    expect(verifyOrgQr(token, { ...opts, now: NOW + 3600 + 59 }).jti).toBe('jti-1');
    expect(verifyOrgQr(token, { ...opts, now: NOW - 59 }).jti).toBe('jti-1');
  });
});
