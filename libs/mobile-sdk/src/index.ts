/**
 * @lanbridge/mobile-sdk: the client of the Lanbridge mobile path for React Native, browsers and
 * Node. No Node-only module is imported from here; PNG decoding and the CLI live in
 * `@lanbridge/mobile-sdk/node`.
 */
export { LanbridgeClient, type CommandOptions, type LanbridgeClientOptions, type SessionSnapshot } from './client';
export { isLanbridgeError, LanbridgeError, SdkErrorCode, type LanbridgeErrorOptions } from './errors';
export {
  DEFAULT_RETRY_POLICY,
  isRetryable,
  newIdempotencyKey,
  requestJson,
  retryUntilDeadline,
  type Binary,
  type RetryPolicy,
} from './http';
export {
  JWKS_PATH,
  JwksCache,
  ORG_QR_AUDIENCE,
  ORG_QR_RESOLVE_PATH,
  ORG_QR_TYP,
  parseOrgQr,
  verifyOrgQr,
  verifyOrgQrToken,
  type Organisation,
  type OrgQrClaims,
  type ParsedOrgQr,
  type TrustedIssuer,
  type VerifyOrgQrOptions,
} from './org-qr';
export {
  createRuntime,
  type FetchLike,
  type Runtime,
  type RuntimeOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './runtime';
export {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_TYP,
  encryptLogin,
  SITE_HELLO_TYP,
  siteKeyThumbprint,
  verifyAccessToken,
  verifySiteHello,
  type AccessTokenClaims,
  type LoginCredentials,
  type Role,
  type SiteEncryptionJwk,
  type SiteSigningJwk,
  type VerifiedHello,
} from './site-hello';
export {
  compareIds,
  LiveStream,
  STREAM_PATH,
  STREAM_SUBPROTOCOL,
  StreamCloseCode,
  type StreamEvent,
  type StreamStatus,
  type WatchOptions,
} from './stream';
export type * from './types';
