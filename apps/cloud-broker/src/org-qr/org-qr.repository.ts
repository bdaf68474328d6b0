import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';

export interface OrgQrTokenRecord {
  readonly jti: string;
  readonly orgId: string;
  readonly token: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
}

interface Row {
  jti: string;
  organization_id: string;
  token: string;
  issued_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const toRecord = (r: Row): OrgQrTokenRecord => ({
  jti: r.jti,
  orgId: r.organization_id,
  token: r.token,
  issuedAt: new Date(r.issued_at),
  expiresAt: new Date(r.expires_at),
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Issued organisation QR tokens; a revoked row is the jti denylist. */
@Injectable()
export class OrgQrRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async findLive(orgId: string): Promise<OrgQrTokenRecord | undefined> {
    const r = await this.sql.one<Row>(
      `SELECT * FROM ${this.sql.t('org_qr_token')} WHERE "organization_id" = $1 AND "revoked_at" IS NULL`,
      [orgId],
    );
    return r ? toRecord(r) : undefined;
  }

  async findByJti(jti: string): Promise<OrgQrTokenRecord | undefined> {
    if (!UUID.test(jti)) return undefined;
    const r = await this.sql.one<Row>(`SELECT * FROM ${this.sql.t('org_qr_token')} WHERE "jti" = $1`, [jti]);
    return r ? toRecord(r) : undefined;
  }

  /**
   * Revokes the live token (if any) and stores `next` in one transaction. `expect` guards against
   * racing issuers: `none` keeps an existing live token and returns it instead (first issue),
   * `{ liveJti }` replaces only that token and otherwise returns whatever is live now (someone
   * else replaced it first), `any` always replaces (rotation).
   */
  async replace(
    next: Omit<OrgQrTokenRecord, 'revokedAt'>,
    expect: 'none' | 'any' | { readonly liveJti: string },
  ): Promise<OrgQrTokenRecord> {
    return this.sql.tx(async (tx) => {
      // Serialises issuers of one organisation.
      await tx.rows(`SELECT "id" FROM ${tx.t('organization')} WHERE "id" = $1 FOR UPDATE`, [next.orgId]);
      if (expect !== 'any') {
        const live = await tx.one<Row>(
          `SELECT * FROM ${tx.t('org_qr_token')} WHERE "organization_id" = $1 AND "revoked_at" IS NULL`,
          [next.orgId],
        );
        if (live && (expect === 'none' || live.jti !== expect.liveJti)) return toRecord(live);
      }
      await tx.rows(
        `UPDATE ${tx.t('org_qr_token')} SET "revoked_at" = now() WHERE "organization_id" = $1 AND "revoked_at" IS NULL`,
        [next.orgId],
      );
      const row = await tx.one<Row>(
        `INSERT INTO ${tx.t('org_qr_token')} ("jti", "organization_id", "token", "issued_at", "expires_at")
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [next.jti, next.orgId, next.token, next.issuedAt, next.expiresAt],
      );
      if (!row) throw new Error('org QR insert returned nothing');
      return toRecord(row);
    });
  }
}
