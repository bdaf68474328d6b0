import { TokenError } from 'oauth2orize';

/** RFC 6749 §5.2 / RFC 8628 §3.5 error codes the token endpoint sends. */
export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token';

/** oauth2orize's TokenError with the RFC status: 401 for invalid_client, 400 for everything else. */
export function tokenError(code: TokenErrorCode, description: string): TokenError {
  return new TokenError(description, code, undefined, code === 'invalid_client' ? 401 : 400);
}
