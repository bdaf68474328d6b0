import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
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

  async recordSiteKey(key: StoredSiteKey): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('organization')}
         SET "site_id" = $2, "site_key_jwk" = $3::jsonb, "site_key_thumbprint" = $4, "site_key_seen_at" = $5
       WHERE "id" = $1`,
      [key.orgId, key.siteId, JSON.stringify(key.jwk), key.thumbprint, key.seenAt],
    );
  }
}
