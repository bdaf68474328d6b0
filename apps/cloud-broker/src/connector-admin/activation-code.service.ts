import { createHash, randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import { AreasService } from '../areas/areas.service';
import { AuditService, type RequestMeta } from '../audit/audit.service';
import { ConnectorEnrollmentService, type EnrolledConnector } from './connector-enrollment.service';
import { activationSite, SITE_ALREADY_CONNECTED_MESSAGE } from '../site-trust/activation-site';
import { siteHolder } from '../site-trust/site-trust.repository';
import { PortalError, PortalErrorCode } from './portal-error';

/** Valid this long after creation (ASVS: activation codes short-lived and single-use). */
export const ACTIVATION_CODE_TTL_S = 15 * 60;

/** No 0/O, 1/I/L, U: easy to read aloud and type. 16 symbols of 32 = 80 bits. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
const GROUPS = 4;

export function normalizeActivationCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function hashCode(code: string): string {
  return createHash('sha256').update(normalizeActivationCode(code)).digest('hex');
}

export interface CreatedActivationCode {
  /** Shown once; only its hash is stored. */
  readonly code: string;
  readonly areaId: string;
  readonly expiresAt: Date;
}

export interface RedeemedActivation extends EnrolledConnector {
  readonly area: string;
  readonly brokerUrl: string;
}

/** Single-use, company-bound activation codes for scripted connector installs. */
@Injectable()
export class ActivationCodeService {
  private readonly sql: Sql;

  constructor(
    dataSource: DataSource,
    private readonly enrollment: ConnectorEnrollmentService,
    private readonly areas: AreasService,
    private readonly audit: AuditService,
  ) {
    this.sql = new Sql(dataSource);
  }

  /** The caller must already be checked as owner/admin of `orgId`. */
  async create(orgId: string, userId: string, areaId: string, meta: RequestMeta): Promise<CreatedActivationCode> {
    const area = this.areas.get(areaId);
    let code = '';
    for (let g = 0; g < GROUPS; g++) {
      if (g > 0) code += '-';
      for (let i = 0; i < 4; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    }
    const expiresAt = new Date(Date.now() + ACTIVATION_CODE_TTL_S * 1000);
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('connector_activation_code')}
         ("organization_id", "code_hash", "area_id", "created_by", "expires_at") VALUES ($1, $2, $3, $4, $5)`,
      [orgId, hashCode(code), area.id, userId, expiresAt],
    );
    await this.audit.record({
      action: 'activation_code.created',
      outcome: 'success',
      orgId,
      actorUserId: userId,
      ...meta,
      details: { area: area.id, expiresAt: expiresAt.toISOString() },
    });
    return { code, areaId: area.id, expiresAt };
  }

  /** Consumes the code and registers the key, atomically: a failed registration leaves the code usable. */
  async redeem(
    input: { code: string; publicKeyPem: string; hostname: string; siteHello?: unknown },
    meta: RequestMeta,
  ): Promise<RedeemedActivation> {
    const site = activationSite(input.siteHello);
    if (site === 'invalid') {
      throw new PortalError(
        PortalErrorCode.INVALID_INPUT,
        'siteHello must be a current hello of the site (a JWS signed by its key)',
      );
    }
    const normalized = normalizeActivationCode(input.code);
    if (normalized.length !== GROUPS * 4) {
      await this.refused(meta, 'malformed');
      throw new PortalError(PortalErrorCode.ACTIVATION_CODE_INVALID, 'activation code is unknown, used or expired');
    }
    const result = await this.sql.tx(async (tx) => {
      const claimed = await tx.one<{ id: string; organization_id: string; area_id: string; created_by: string }>(
        `UPDATE ${tx.t('connector_activation_code')} SET "used_at" = now()
         WHERE "code_hash" = $1 AND "used_at" IS NULL AND "expires_at" > now()
         RETURNING "id", "organization_id", "area_id", "created_by"`,
        [hashCode(normalized)],
      );
      if (!claimed) return undefined;
      // One site, one company (the tunnel would be refused anyway); the code stays unused.
      if (site && (await siteHolder(tx, site.thumbprint, claimed.organization_id))) {
        throw new PortalError(PortalErrorCode.SITE_ALREADY_CONNECTED, SITE_ALREADY_CONNECTED_MESSAGE);
      }
      const enrolled = await this.enrollment.enroll(
        {
          orgId: claimed.organization_id,
          publicKeyPem: input.publicKeyPem,
          hostname: input.hostname,
          areaId: claimed.area_id,
          activatedBy: claimed.created_by,
        },
        tx,
      );
      await tx.rows(`UPDATE ${tx.t('connector_activation_code')} SET "connector_id" = $2 WHERE "id" = $1`, [
        claimed.id,
        enrolled.connectorId,
      ]);
      return { ...enrolled, areaId: claimed.area_id, createdBy: claimed.created_by };
    });
    if (!result) {
      await this.refused(meta, 'unknown, used or expired');
      throw new PortalError(PortalErrorCode.ACTIVATION_CODE_INVALID, 'activation code is unknown, used or expired');
    }
    await this.audit.record({
      action: 'connector.activated',
      outcome: 'success',
      orgId: result.orgId,
      actorUserId: result.createdBy,
      ...meta,
      target: result.connectorId,
      details: { via: 'activation_code', hostname: input.hostname, area: result.areaId },
    });
    const area = this.areas.find(result.areaId);
    return {
      connectorId: result.connectorId,
      orgId: result.orgId,
      orgSlug: result.orgSlug,
      orgName: result.orgName,
      area: result.areaId,
      brokerUrl: area?.brokerUrl ?? '',
    };
  }

  private async refused(meta: RequestMeta, reason: string): Promise<void> {
    await this.audit.record({ action: 'activation_code.used', outcome: 'failure', ...meta, details: { reason } });
  }
}
