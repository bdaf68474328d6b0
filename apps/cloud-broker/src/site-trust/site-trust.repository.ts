import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUniqueViolation, Sql } from '../accounts/sql';
import { DEFAULT_INGRESS_POLICY, type IngressPolicy, isIngressPolicy } from '../connectors/ingress-policy';
import { parseSiteJwk, type SiteSigningJwk } from './site-jws';

/** What the organisation row says about its site. */
export interface StoredSiteKey {
  readonly orgId: string;
  readonly siteId: string;
  readonly jwk: SiteSigningJwk;
  readonly thumbprint: string;
  readonly seenAt: Date;
}

interface SiteRow {
  id: string;
  site_id: string | null;
  site_key_jwk: unknown;
  site_key_thumbprint: string | null;
  site_key_seen_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SITE_COLUMNS = `"id", "site_id", "site_key_jwk", "site_key_thumbprint", "site_key_seen_at"`;

function jsonOf(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

function toStored(r: SiteRow): StoredSiteKey | undefined {
  const jwk = parseSiteJwk(jsonOf(r.site_key_jwk));
  if (!r.site_id || !jwk || !r.site_key_thumbprint || !r.site_key_seen_at) return undefined;
  return {
    orgId: r.id,
    siteId: r.site_id,
    jwk,
    thumbprint: r.site_key_thumbprint,
    seenAt: new Date(r.site_key_seen_at),
  };
}

/** What recording a site key on an organisation came to (one site, one company). */
export type SiteClaim =
  | {
      readonly claimed: true;
      /** Organisations without an active connector that held this site before: no longer. */
      readonly releasedFrom: readonly string[];
    }
  | {
      readonly claimed: false;
      /** The organisation that holds the site and still has an active connector. */
      readonly holderOrgId: string;
    };

/**
 * Another organisation than `orgId` that holds the site with this key thumbprint and has an
 * active (not deactivated) connector, or undefined. Runs on `sql`, so inside a caller's transaction.
 */
export async function siteHolder(sql: Sql, thumbprint: string, orgId: string | null): Promise<string | undefined> {
  const row = await sql.one<{ id: string }>(
    `SELECT o."id" FROM ${sql.t('organization')} o
      WHERE o."site_key_thumbprint" = $1 AND ($2::uuid IS NULL OR o."id" <> $2::uuid)
        AND EXISTS (SELECT 1 FROM ${sql.t('connector')} c WHERE c."organization_id" = o."id" AND c."revoked_at" IS NULL)`,
    [thumbprint, orgId],
  );
  return row?.id;
}

/** The site identity and ingress policy columns of `organization`. */
@Injectable()
export class SiteTrustRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  /** The organisation's policy; undefined when it does not exist. */
  async ingressPolicy(orgId: string): Promise<IngressPolicy | undefined> {
    if (!UUID.test(orgId)) return undefined;
    const r = await this.sql.one<{ ingress_policy: string }>(
      `SELECT "ingress_policy" FROM ${this.sql.t('organization')} WHERE "id" = $1`,
      [orgId],
    );
    if (!r) return undefined;
    return isIngressPolicy(r.ingress_policy) ? r.ingress_policy : DEFAULT_INGRESS_POLICY;
  }

  async siteKey(orgId: string): Promise<StoredSiteKey | undefined> {
    if (!UUID.test(orgId)) return undefined;
    const r = await this.sql.one<SiteRow>(`SELECT ${SITE_COLUMNS} FROM ${this.sql.t('organization')} WHERE "id" = $1`, [
      orgId,
    ]);
    return r ? toStored(r) : undefined;
  }

  /** Organisations whose recorded site id is `siteId` (normally one). */
  async orgIdsOfSite(siteId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      `SELECT "id" FROM ${this.sql.t('organization')} WHERE "site_id" = $1 ORDER BY "id" LIMIT 10`,
      [siteId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Records the site on the organisation learnt through `connectorId`'s tunnel, unless another
   * organisation holds the same site (key) and still has an active connector: one site, one
   * company. A holder without active connectors lets it go (the site moves). On a refusal the
   * organisation's own stale record of that site is cleared and the connector notes why.
   */
  async claimSiteKey(key: StoredSiteKey, connectorId: string): Promise<SiteClaim> {
    try {
      return await this.sql.tx(async (tx) => {
        const others = await tx.rows<{ id: string; active: boolean }>(
          `SELECT o."id",
                  EXISTS (SELECT 1 FROM ${tx.t('connector')} c
                           WHERE c."organization_id" = o."id" AND c."revoked_at" IS NULL) AS "active"
             FROM ${tx.t('organization')} o
            WHERE o."site_key_thumbprint" = $1 AND o."id" <> $2
            FOR UPDATE OF o`,
          [key.thumbprint, key.orgId],
        );
        const holder = others.find((o) => o.active);
        if (holder) {
          await this.refuse(tx, key, connectorId);
          return { claimed: false, holderOrgId: holder.id };
        }
        for (const other of others) {
          await tx.rows(
            `UPDATE ${tx.t('organization')}
                SET "site_id" = NULL, "site_key_jwk" = NULL, "site_key_thumbprint" = NULL, "site_key_seen_at" = NULL
              WHERE "id" = $1`,
            [other.id],
          );
        }
        await tx.rows(
          `UPDATE ${tx.t('organization')}
             SET "site_id" = $2, "site_key_jwk" = $3::jsonb, "site_key_thumbprint" = $4, "site_key_seen_at" = $5
           WHERE "id" = $1`,
          [key.orgId, key.siteId, JSON.stringify(key.jwk), key.thumbprint, key.seenAt],
        );
        await tx.rows(
          `UPDATE ${tx.t('connector')} SET "refusal" = NULL, "refused_at" = NULL WHERE "id" = $1 AND "refusal" IS NOT NULL`,
          [connectorId],
        );
        return { claimed: true, releasedFrom: others.map((o) => o.id) };
      });
    } catch (err) {
      // Another organisation recorded the same site a moment before: it holds it.
      if (!isUniqueViolation(err)) throw err;
      const holder = await siteHolder(this.sql, key.thumbprint, key.orgId);
      if (!holder) throw err;
      await this.sql.tx((tx) => this.refuse(tx, key, connectorId));
      return { claimed: false, holderOrgId: holder };
    }
  }

  private async refuse(tx: Sql, key: StoredSiteKey, connectorId: string): Promise<void> {
    await tx.rows(
      `UPDATE ${tx.t('organization')}
          SET "site_id" = NULL, "site_key_jwk" = NULL, "site_key_thumbprint" = NULL, "site_key_seen_at" = NULL
        WHERE "id" = $1 AND "site_key_thumbprint" = $2`,
      [key.orgId, key.thumbprint],
    );
    await tx.rows(`UPDATE ${tx.t('connector')} SET "refusal" = 'site-claimed', "refused_at" = now() WHERE "id" = $1`, [
      connectorId,
    ]);
  }
}
