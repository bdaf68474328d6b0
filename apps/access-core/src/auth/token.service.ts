import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { signAccessToken, verifyAccessToken } from './access-token';
import { AuthSessionStore } from './auth-session.store';
import type { ClientInfo, Principal, Role } from './principal';
import { SiteKeyService } from './site-key.service';
import type { TokenPair } from '@lanbridge/mobile-api';
export type { TokenPair } from '@lanbridge/mobile-api';

export interface TokenSubject {
  readonly role: Role;
  readonly subjectId: string;
  readonly name: string;
}

/** Re-checks that a subject may still hold a session (not disabled, App Login still on). */
export type SubjectCheck = (role: Role, subjectId: string) => Promise<TokenSubject | undefined>;

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function unauthenticated(message: string): AccessCoreException {
  return new AccessCoreException(AccessCoreErrorCode.UNAUTHENTICATED, message);
}

/**
 * Access tokens (short-lived EdDSA JWS) and refresh tokens (random, stored as SHA-256, rotated
 * on every use; replaying a rotated token revokes its whole family).
 */
@Injectable()
export class TokenService {
  private readonly logger: Logger;

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly siteKey: SiteKeyService,
    private readonly sessions: AuthSessionStore,
    private readonly clock: Clock,
  ) {
    this.logger = root.child({ component: 'tokens' });
  }

  async issue(subject: TokenSubject, client: ClientInfo): Promise<TokenPair> {
    const now = this.clock.now();
    const familyId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.AUTH_REFRESH_TOKEN_TTL_DAYS * 86_400_000);
    return this.mint(subject, familyId, expiresAt, client);
  }

  async refresh(refreshToken: string, client: ClientInfo, check: SubjectCheck): Promise<TokenPair> {
    const invalid = new AccessCoreException(
      AccessCoreErrorCode.INVALID_REFRESH_TOKEN,
      'the refresh token is not valid; sign in again',
    );
    if (!REFRESH_TOKEN.test(refreshToken)) throw invalid;
    const now = this.clock.now();
    const row = await this.sessions.findByHash(hashRefreshToken(refreshToken));
    if (!row || row.revokedAt || row.expiresAt <= now) throw invalid;
    if (row.rotatedAt || !(await this.sessions.markRotated(row.id, now))) {
      await this.sessions.revokeFamily(row.familyId, now);
      this.logger.warn({ familyId: row.familyId, subjectId: row.subjectId }, 'refresh token replayed: session revoked');
      throw invalid;
    }
    const subject = await check(row.role, row.subjectId);
    if (!subject) {
      await this.sessions.revokeFamily(row.familyId, now);
      throw invalid;
    }
    return this.mint(subject, row.familyId, row.expiresAt, client);
  }

  async revokeSession(familyId: string): Promise<void> {
    await this.sessions.revokeFamily(familyId, this.clock.now());
  }

  /** Ends every session of a subject (password changed, App Login disabled). */
  async revokeSubject(role: Role, subjectId: string): Promise<void> {
    await this.sessions.revokeSubject(role, subjectId, this.clock.now());
  }

  /** Verifies an access token and that its session is still active; throws UNAUTHENTICATED. */
  async authenticate(token: string): Promise<Principal> {
    const now = this.clock.now();
    const result = verifyAccessToken(token, (kid) => this.siteKey.publicKeyFor(kid), {
      issuer: this.siteKey.siteId,
      now: Math.floor(now.getTime() / 1000),
    });
    if (!result.ok) {
      this.logger.debug({ reason: result.reason }, 'access token refused');
      throw unauthenticated(
        result.reason === 'expired' ? 'the access token has expired' : 'the access token is not valid',
      );
    }
    const c = result.claims;
    if (!(await this.sessions.isFamilyActive(c.sid, now)))
      throw unauthenticated('the session has ended; sign in again');
    return { role: c.role, subjectId: c.sub, name: c.name, sessionId: c.sid, expiresAt: c.exp };
  }

  private async mint(subject: TokenSubject, familyId: string, expiresAt: Date, client: ClientInfo): Promise<TokenPair> {
    const now = this.clock.now();
    const refreshToken = randomBytes(32).toString('base64url');
    await this.sessions.insert({
      familyId,
      role: subject.role,
      subjectId: subject.subjectId,
      tokenHash: hashRefreshToken(refreshToken),
      expiresAt,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    const iat = Math.floor(now.getTime() / 1000);
    const ttl = this.config.AUTH_ACCESS_TOKEN_TTL_SECONDS;
    const accessToken = signAccessToken(this.siteKey.signingKey, {
      iss: this.siteKey.siteId,
      sub: subject.subjectId,
      role: subject.role,
      name: subject.name,
      sid: familyId,
      iat,
      exp: iat + ttl,
    });
    return {
      tokenType: 'Bearer',
      accessToken,
      expiresIn: ttl,
      refreshToken,
      refreshExpiresAt: expiresAt.toISOString(),
      role: subject.role,
      siteId: this.siteKey.siteId,
    };
  }
}
