/**
 * The security contract between the broker, access-core, the edge connector and the mobile SDK:
 * the `typ` and `aud` of the tokens they exchange, the organisation QR's claims, and the RFC 7638
 * key thumbprint that pins keys across them (docs/mobile-path.md §1–2, docs/architecture.md "The
 * organisation QR"). No dependency at all, so both entry points share it: `index.ts` (any
 * platform, thumbprint on jose) and `node.ts` (servers, synchronous thumbprint on node:crypto).
 */
/** `typ` of the organisation QR, a compact JWS signed by the broker (EdDSA). */
export const ORG_QR_TYP = 'org-qr+jwt';
/** `aud` of the organisation QR: the mobile app. */
export const ORG_QR_AUDIENCE = 'lanbridge-app';
/** Format version of the QR's claims; the app refuses versions it does not know. */
export const ORG_QR_VERSION = 1;

/** `typ` of the site hello, a compact JWS by which the site proves its signing key. */
export const SITE_HELLO_TYP = 'site-hello+jwt';
/** Format version of the hello's payload (`v`). */
export const SITE_HELLO_VERSION = 1;

/** `typ` of the site's access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** `aud` of the site's access tokens. */
export const ACCESS_TOKEN_AUDIENCE = 'lanbridge-mobile';

/** The claims of an organisation QR. */
export interface OrgQrClaims {
  /** Broker origin, e.g. https://sg.lanbridge.example. The app only trusts issuers it has built in. */
  readonly iss: string;
  /** Organisation id (UUID). */
  readonly sub: string;
  readonly aud: string;
  /** Organisation display name, shown to the user for confirmation. */
  readonly name: string;
  /** API base URL the app talks to: `<issuer>/t/<orgSlug>`. */
  readonly api: string;
  readonly v: number;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
  /** Token id; rotation revokes by jti. */
  readonly jti: string;
  /**
   * Site key thumbprint: the RFC 7638 thumbprint of the on-prem site's Ed25519 signing key, which
   * the app pins for the checks of the site's hello and tokens. Absent while the broker has not
   * yet learnt the key; the next QR issued after that carries it.
   */
  readonly skt?: string;
}

/** The public members of an OKP key (Ed25519, X25519) that its thumbprint covers. */
export interface OkpPublicJwk {
  readonly kty: 'OKP';
  readonly crv: string;
  readonly x: string;
}

/**
 * RFC 7638 §3.2 input for an OKP key: its required members `crv`, `kty`, `x`, in that
 * (lexicographic) order, as JSON without whitespace. The thumbprint is the base64url SHA-256 of
 * this text.
 */
export function okpThumbprintInput(jwk: OkpPublicJwk): string {
  return JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
}
