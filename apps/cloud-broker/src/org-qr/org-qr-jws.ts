import { type KeyObject, verify } from 'node:crypto';
import { ORG_QR_AUDIENCE, ORG_QR_TYP, ORG_QR_VERSION, type OrgQrClaims } from '@lanbridge/security-contract/node';
import { CodedError } from '@lanbridge/errors';

/**
 * The organisation QR token: a compact JWS (RFC 7515) signed with EdDSA (Ed25519).
 *
 * Header: `{ alg: 'EdDSA', kid, typ: 'org-qr+jwt' }`. Claims: see OrgQrClaims (`skt` pins the
 * on-prem site's signing key once the broker knows it). The token
 * locates an organisation and grants nothing; it holds no secret. A QR code carries it as
 * `<issuer>/o#<JWS>` (the fragment never reaches a web server if someone opens the link).
 */
export { ORG_QR_AUDIENCE, ORG_QR_TYP, ORG_QR_VERSION, type OrgQrClaims };
export const ORG_QR_ALG = 'EdDSA';

/** Why a token was refused. Stable strings; the resolve endpoint returns them as `code`. */
export const OrgQrErrorCode = {
  /** Not three base64url parts, or header/claims not JSON objects of the right shape. */
  MALFORMED: 'ORG_QR_MALFORMED',
  /** `alg` is not EdDSA or `typ` is not org-qr+jwt. */
  UNSUPPORTED: 'ORG_QR_UNSUPPORTED',
  /** `kid` is not in this broker's key set. */
  UNKNOWN_KEY: 'ORG_QR_UNKNOWN_KEY',
  BAD_SIGNATURE: 'ORG_QR_BAD_SIGNATURE',
  /** `iss` or `aud` is not what this broker issues. */
  WRONG_ISSUER: 'ORG_QR_WRONG_ISSUER',
  EXPIRED: 'ORG_QR_EXPIRED',
  /** `iat` lies in the future beyond the clock tolerance. */
  NOT_YET_VALID: 'ORG_QR_NOT_YET_VALID',
  /** `v` is a format version this broker does not know. */
  UNSUPPORTED_VERSION: 'ORG_QR_UNSUPPORTED_VERSION',
  /** Rotated away (jti revoked) or never issued here. */
  REVOKED: 'ORG_QR_REVOKED',
  /** The organisation is gone or has no active connector. */
  INACTIVE: 'ORG_QR_INACTIVE',
} as const;
export type OrgQrErrorCode = (typeof OrgQrErrorCode)[keyof typeof OrgQrErrorCode];

/** A refused QR: malformed → 400, not genuine → 401, no longer valid → 410, org/connector gone → 409. */
const ORG_QR_STATUS: { readonly [K in OrgQrErrorCode]: number } = {
  ORG_QR_MALFORMED: 400,
  ORG_QR_UNSUPPORTED: 400,
  ORG_QR_UNSUPPORTED_VERSION: 400,
  ORG_QR_UNKNOWN_KEY: 401,
  ORG_QR_BAD_SIGNATURE: 401,
  ORG_QR_WRONG_ISSUER: 401,
  ORG_QR_EXPIRED: 410,
  ORG_QR_NOT_YET_VALID: 400,
  ORG_QR_REVOKED: 410,
  ORG_QR_INACTIVE: 409,
};

export class OrgQrError extends CodedError<OrgQrErrorCode> {
  get status(): number {
    return ORG_QR_STATUS[this.code];
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;
/** base64url of a SHA-256 digest. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
/** Far above a real token (~600 chars); refuses garbage before any parsing. */
export const ORG_QR_MAX_LENGTH = 4096;

export interface VerifyOrgQrOptions {
  /** Public key for a `kid`, or undefined when unknown. */
  readonly keyFor: (kid: string) => KeyObject | undefined;
  readonly issuer: string;
  readonly audience?: string;
  /** Seconds since the epoch; default now. */
  readonly now?: number;
  /** Allowed clock skew in seconds (default 60). */
  readonly clockToleranceS?: number;
}

function parseJsonPart(part: string, what: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new OrgQrError(OrgQrErrorCode.MALFORMED, `${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (err) {
    throw new OrgQrError(OrgQrErrorCode.MALFORMED, `${what} is not JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OrgQrError(OrgQrErrorCode.MALFORMED, `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0) throw new OrgQrError(OrgQrErrorCode.MALFORMED, `claim ${k} missing`);
  return v;
}

function num(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new OrgQrError(OrgQrErrorCode.MALFORMED, `claim ${k} must be an integer`);
  }
  return v;
}

/**
 * Checks a compact JWS: shape, algorithm and type (allow-listed, never taken on trust), key,
 * signature, issuer, audience, times and version. Revocation is the caller's job.
 */
export function verifyOrgQr(token: string, opts: VerifyOrgQrOptions): OrgQrClaims {
  if (token.length > ORG_QR_MAX_LENGTH) throw new OrgQrError(OrgQrErrorCode.MALFORMED, 'token too long');
  const parts = token.split('.');
  if (parts.length !== 3) throw new OrgQrError(OrgQrErrorCode.MALFORMED, 'not a compact JWS');
  const [h, p, s] = parts;
  const header = parseJsonPart(h, 'header');
  if (header.alg !== ORG_QR_ALG || header.typ !== ORG_QR_TYP || header.crit !== undefined) {
    throw new OrgQrError(OrgQrErrorCode.UNSUPPORTED, `expected alg ${ORG_QR_ALG} and typ ${ORG_QR_TYP}`);
  }
  if (typeof header.kid !== 'string') throw new OrgQrError(OrgQrErrorCode.MALFORMED, 'header kid missing');
  const key = opts.keyFor(header.kid);
  if (!key) throw new OrgQrError(OrgQrErrorCode.UNKNOWN_KEY, 'unknown signing key');
  if (!B64URL.test(s)) throw new OrgQrError(OrgQrErrorCode.MALFORMED, 'signature is not base64url');
  const ok = verify(null, Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
  if (!ok) throw new OrgQrError(OrgQrErrorCode.BAD_SIGNATURE, 'signature does not verify');

  const c = parseJsonPart(p, 'claims');
  let claims: OrgQrClaims = {
    iss: str(c, 'iss'),
    sub: str(c, 'sub'),
    aud: str(c, 'aud'),
    name: str(c, 'name'),
    api: str(c, 'api'),
    v: num(c, 'v'),
    iat: num(c, 'iat'),
    exp: num(c, 'exp'),
    jti: str(c, 'jti'),
  };
  if (c.skt !== undefined) {
    if (typeof c.skt !== 'string' || !THUMBPRINT.test(c.skt)) {
      throw new OrgQrError(OrgQrErrorCode.MALFORMED, 'claim skt must be a SHA-256 thumbprint');
    }
    claims = { ...claims, skt: c.skt };
  }
  if (claims.iss !== opts.issuer || claims.aud !== (opts.audience ?? ORG_QR_AUDIENCE)) {
    throw new OrgQrError(OrgQrErrorCode.WRONG_ISSUER, 'issuer or audience is not this broker');
  }
  if (claims.v !== ORG_QR_VERSION) {
    throw new OrgQrError(OrgQrErrorCode.UNSUPPORTED_VERSION, `format version ${claims.v} is not supported`);
  }
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const skew = opts.clockToleranceS ?? 60;
  if (claims.exp <= now - skew) throw new OrgQrError(OrgQrErrorCode.EXPIRED, 'token expired');
  if (claims.iat > now + skew) throw new OrgQrError(OrgQrErrorCode.NOT_YET_VALID, 'token issued in the future');
  return claims;
}

/** The text a QR code carries: `<issuer>/o#<JWS>`. */
export function orgQrPayload(issuer: string, token: string): string {
  return `${issuer}/o#${token}`;
}

/** The `skt` claim of a token this broker issued, read without verifying it (it is our own). */
export function sktOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { skt?: unknown } | null;
    return typeof c?.skt === 'string' ? c.skt : undefined;
  } catch {
    return undefined;
  }
}

/** The JWS out of a scanned payload (or the bare JWS itself). */
export function tokenFromPayload(payload: string): string {
  const i = payload.indexOf('/o#');
  return i >= 0 ? payload.slice(i + 3) : payload;
}
