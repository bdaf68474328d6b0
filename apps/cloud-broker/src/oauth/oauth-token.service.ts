import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { hashToken, randomToken, safeEqual } from '../accounts/secrets';
import { Sql } from '../accounts/sql';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { OAuthClient } from './oauth-clients';
import { tokenError } from './oauth-error';

export interface IssuedTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresIn: number;
  readonly scope: string;
}

export interface AccessTokenInfo {
  readonly tokenId: string;
  readonly clientId: string;
  readonly userId: string | null;
  readonly connectorId: string | null;
  readonly scope: string;
  readonly expiresAt: Date;
  readonly issuedAt: Date;
}

export interface Introspection {
  readonly active: boolean;
  readonly [claim: string]: unknown;
}

interface TokenRow {
  id: string;
  kind: 'access' | 'refresh';
  client_id: string;
  user_id: string | null;
  connector_id: string | null;
  scope: string;
  family_id: string;
  created_at: Date;
  expires_at: Date;
  family_expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

interface CodeRow {
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  code_challenge: string | null;
  expires_at: Date;
  used_at: Date | null;
  family_id: string | null;
}

export const ACCESS_PREFIX = 'lba_';
export const REFRESH_PREFIX = 'lbr_';
const CODE_PREFIX = 'lbc_';
/** RFC 7636 §4.1: 43-128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const TOKEN_COLUMNS = `"id", "kind", "client_id", "user_id", "connector_id", "scope", "family_id", "created_at", "expires_at", "family_expires_at", "used_at", "revoked_at"`;

/**
 * Authorization codes, access and refresh tokens. Everything is opaque and random; the database
 * keeps SHA-256 hashes. Refresh tokens rotate on each use; presenting a rotated one revokes
 * the whole family (every token descended from the same authorization).
 */
@Injectable()
export class OAuthTokenService {
  private readonly sql: Sql;
  private readonly cfg: BrokerConfig['accounts'];
  readonly issuer: string;

  constructor(dataSource: DataSource, @Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.sql = new Sql(dataSource);
    this.cfg = config.accounts;
    this.issuer = config.publicUrl;
  }

  async createCode(c: {
    client: OAuthClient;
    userId: string;
    redirectUri: string;
    scope: string;
    codeChallenge: string | null;
  }): Promise<string> {
    const code = randomToken(CODE_PREFIX);
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('oauth_code')} ("code_hash", "client_id", "user_id", "redirect_uri", "scope", "code_challenge", "expires_at")
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
      [hashToken(code), c.client.id, c.userId, c.redirectUri, c.scope, c.codeChallenge, this.cfg.codeTtlS],
    );
    return code;
  }

  /** Authorization code exchange with PKCE (RFC 7636) and single use (a replay revokes what the code gave). */
  async exchangeCode(
    client: OAuthClient,
    code: string,
    redirectUri: string | undefined,
    verifier: unknown,
  ): Promise<IssuedTokens> {
    let replayedFamily: string | undefined;
    try {
      return await this.exchangeCodeTx(client, code, redirectUri, verifier, (f) => (replayedFamily = f));
    } finally {
      if (replayedFamily) await this.revokeFamily(this.sql, replayedFamily);
    }
  }

  private exchangeCodeTx(
    client: OAuthClient,
    code: string,
    redirectUri: string | undefined,
    verifier: unknown,
    onReplay: (familyId: string) => void,
  ): Promise<IssuedTokens> {
    return this.sql.tx(async (tx) => {
      const row = await tx.one<CodeRow>(
        `SELECT "client_id", "user_id", "redirect_uri", "scope", "code_challenge", "expires_at", "used_at", "family_id"
           FROM ${tx.t('oauth_code')} WHERE "code_hash" = $1 FOR UPDATE`,
        [hashToken(code)],
      );
      if (!row || row.client_id !== client.id) throw tokenError('invalid_grant', 'authorization code is invalid');
      if (row.used_at !== null) {
        if (row.family_id) onReplay(row.family_id);
        throw tokenError('invalid_grant', 'authorization code was already used');
      }
      await tx.rows(`UPDATE ${tx.t('oauth_code')} SET "used_at" = now() WHERE "code_hash" = $1`, [hashToken(code)]);
      if (new Date(row.expires_at).getTime() <= Date.now())
        throw tokenError('invalid_grant', 'authorization code expired');
      if (redirectUri !== row.redirect_uri)
        throw tokenError('invalid_grant', 'redirect_uri does not match the authorization request');
      if (row.code_challenge !== null) {
        if (typeof verifier !== 'string' || !VERIFIER.test(verifier)) {
          throw tokenError('invalid_grant', 'code_verifier missing or malformed');
        }
        const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
        if (!safeEqual(computed, row.code_challenge))
          throw tokenError('invalid_grant', 'code_verifier does not match the code_challenge');
      } else if (verifier !== undefined) {
        throw tokenError('invalid_grant', 'code_verifier sent but the authorization request had no code_challenge');
      }
      const familyId = randomUUID();
      await tx.rows(`UPDATE ${tx.t('oauth_code')} SET "family_id" = $2 WHERE "code_hash" = $1`, [
        hashToken(code),
        familyId,
      ]);
      const familyExpiresAt = new Date(Date.now() + this.cfg.refreshAbsoluteS * 1000);
      return this.issue(tx, {
        clientId: client.id,
        userId: row.user_id,
        connectorId: null,
        scope: row.scope,
        familyId,
        familyExpiresAt,
        withRefresh: client.grants.includes('refresh_token'),
      });
    });
  }

  async refresh(
    client: OAuthClient,
    refreshToken: string,
    scope: readonly string[] | undefined,
  ): Promise<IssuedTokens> {
    // Reuse detection must survive the error, so the family revocation commits on its own.
    let reusedFamily: string | undefined;
    try {
      return await this.sql.tx(async (tx) => {
        const row = await tx.one<TokenRow>(
          `SELECT ${TOKEN_COLUMNS} FROM ${tx.t('oauth_token')} WHERE "token_hash" = $1 AND "kind" = 'refresh' FOR UPDATE`,
          [hashToken(refreshToken)],
        );
        if (!row || row.client_id !== client.id || row.revoked_at !== null) {
          throw tokenError('invalid_grant', 'refresh token is invalid or revoked');
        }
        if (row.used_at !== null) {
          reusedFamily = row.family_id;
          throw tokenError('invalid_grant', 'refresh token was already used; every token of this grant is now revoked');
        }
        const now = Date.now();
        if (new Date(row.expires_at).getTime() <= now || new Date(row.family_expires_at).getTime() <= now) {
          throw tokenError('invalid_grant', 'refresh token expired');
        }
        const granted = row.scope.split(' ');
        if (scope && !scope.every((s) => granted.includes(s)))
          throw tokenError('invalid_scope', 'scope exceeds the original grant');
        await tx.rows(`UPDATE ${tx.t('oauth_token')} SET "used_at" = now() WHERE "id" = $1`, [row.id]);
        return this.issue(tx, {
          clientId: client.id,
          userId: row.user_id,
          connectorId: row.connector_id,
          scope: scope ? scope.join(' ') : row.scope,
          familyId: row.family_id,
          familyExpiresAt: new Date(row.family_expires_at),
          withRefresh: true,
        });
      });
    } finally {
      if (reusedFamily) await this.revokeFamily(this.sql, reusedFamily);
    }
  }

  /** Tokens for a device-flow approval: access only (the connector proves itself with its key). */
  issueForConnector(
    clientId: string,
    userId: string,
    connectorId: string,
    scope: string,
    tx?: Sql,
  ): Promise<IssuedTokens> {
    return this.issue(tx ?? this.sql, {
      clientId,
      userId,
      connectorId,
      scope,
      familyId: randomUUID(),
      familyExpiresAt: new Date(Date.now() + this.cfg.accessTokenTtlS * 1000),
      withRefresh: false,
    });
  }

  /** An active access token, or undefined. */
  async validateAccess(token: string): Promise<AccessTokenInfo | undefined> {
    if (!token.startsWith(ACCESS_PREFIX) || token.length > 128) return undefined;
    const row = await this.sql.one<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM ${this.sql.t('oauth_token')}
        WHERE "token_hash" = $1 AND "kind" = 'access' AND "revoked_at" IS NULL AND "expires_at" > now()`,
      [hashToken(token)],
    );
    if (!row) return undefined;
    return {
      tokenId: row.id,
      clientId: row.client_id,
      userId: row.user_id,
      connectorId: row.connector_id,
      scope: row.scope,
      expiresAt: new Date(row.expires_at),
      issuedAt: new Date(row.created_at),
    };
  }

  /** RFC 7009: revokes the token if it belongs to `client`; revoking a refresh token revokes its family. */
  async revoke(client: OAuthClient, token: string): Promise<void> {
    if (token.length > 256) return;
    const row = await this.sql.one<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM ${this.sql.t('oauth_token')} WHERE "token_hash" = $1`,
      [hashToken(token)],
    );
    if (!row || row.client_id !== client.id) return;
    if (row.kind === 'refresh') await this.revokeFamily(this.sql, row.family_id);
    else
      await this.sql.rows(
        `UPDATE ${this.sql.t('oauth_token')} SET "revoked_at" = now() WHERE "id" = $1 AND "revoked_at" IS NULL`,
        [row.id],
      );
  }

  /** RFC 7662 response; anything unknown, expired, revoked or rotated is `{active:false}`. */
  async introspect(token: string): Promise<Introspection> {
    if (token.length > 256) return { active: false };
    const row = await this.sql.one<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM ${this.sql.t('oauth_token')} WHERE "token_hash" = $1`,
      [hashToken(token)],
    );
    const now = Date.now();
    if (
      !row ||
      row.revoked_at !== null ||
      row.used_at !== null ||
      new Date(row.expires_at).getTime() <= now ||
      new Date(row.family_expires_at).getTime() <= now
    ) {
      return { active: false };
    }
    return {
      active: true,
      scope: row.scope,
      client_id: row.client_id,
      token_type: row.kind === 'access' ? 'Bearer' : 'refresh_token',
      exp: Math.floor(new Date(row.expires_at).getTime() / 1000),
      iat: Math.floor(new Date(row.created_at).getTime() / 1000),
      iss: this.issuer,
      ...(row.user_id ? { sub: row.user_id } : {}),
      ...(row.connector_id ? { connector_id: row.connector_id } : {}),
    };
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('oauth_token')} SET "revoked_at" = now() WHERE "user_id" = $1 AND "revoked_at" IS NULL AND "connector_id" IS NULL`,
      [userId],
    );
  }

  private async revokeFamily(sql: Sql, familyId: string): Promise<void> {
    await sql.rows(
      `UPDATE ${sql.t('oauth_token')} SET "revoked_at" = now() WHERE "family_id" = $1 AND "revoked_at" IS NULL`,
      [familyId],
    );
  }

  private async issue(
    sql: Sql,
    t: {
      clientId: string;
      userId: string | null;
      connectorId: string | null;
      scope: string;
      familyId: string;
      familyExpiresAt: Date;
      withRefresh: boolean;
    },
  ): Promise<IssuedTokens> {
    const accessToken = randomToken(ACCESS_PREFIX);
    const ttl = this.cfg.accessTokenTtlS;
    const insert = `INSERT INTO ${sql.t('oauth_token')}
        ("token_hash", "kind", "client_id", "user_id", "connector_id", "scope", "family_id", "expires_at", "family_expires_at")
        VALUES ($1, $2, $3, $4, $5, $6, $7, LEAST(now() + make_interval(secs => $8), $9), $9)`;
    await sql.rows(insert, [
      hashToken(accessToken),
      'access',
      t.clientId,
      t.userId,
      t.connectorId,
      t.scope,
      t.familyId,
      ttl,
      t.familyExpiresAt,
    ]);
    let refreshToken: string | undefined;
    if (t.withRefresh) {
      refreshToken = randomToken(REFRESH_PREFIX);
      await sql.rows(insert, [
        hashToken(refreshToken),
        'refresh',
        t.clientId,
        t.userId,
        t.connectorId,
        t.scope,
        t.familyId,
        this.cfg.refreshIdleS,
        t.familyExpiresAt,
      ]);
    }
    return { accessToken, refreshToken, expiresIn: ttl, scope: t.scope };
  }
}
