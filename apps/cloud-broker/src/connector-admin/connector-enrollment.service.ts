import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import { parseConnectorKey } from '../connectors/connector-key';
import { PortalError, PortalErrorCode } from './portal-error';

export interface EnrollInput {
  readonly orgId: string;
  /** Ed25519 public key, SPKI PEM. */
  readonly publicKeyPem: string;
  readonly hostname: string;
  readonly areaId: string;
  readonly activatedBy: string;
}

export interface EnrolledConnector {
  readonly connectorId: string;
  readonly orgId: string;
  readonly orgSlug: string;
  readonly orgName: string;
}

const HOSTNAME = /^[\p{L}\p{N}._-]{1,253}$/u;

/**
 * Registers a connector's public key under a company, for activation codes. The key must be
 * new: a key seen before (even revoked) is refused, so a deactivated connector must make a
 * new key to come back.
 */
@Injectable()
export class ConnectorEnrollmentService {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async enroll(input: EnrollInput, tx: Sql = this.sql): Promise<EnrolledConnector> {
    const key = (() => {
      try {
        return parseConnectorKey(input.publicKeyPem);
      } catch (err) {
        throw new PortalError(PortalErrorCode.INVALID_INPUT, 'publicKey must be an Ed25519 SPKI PEM', { cause: err });
      }
    })();
    const hostname = input.hostname.trim();
    if (!HOSTNAME.test(hostname)) throw new PortalError(PortalErrorCode.INVALID_INPUT, 'hostname is not a host name');
    const org = await tx.one<{ id: string; slug: string; name: string }>(
      `SELECT "id", "slug", "name" FROM ${tx.t('organization')} WHERE "id" = $1`,
      [input.orgId],
    );
    if (!org) throw new PortalError(PortalErrorCode.ACTIVATION_CODE_INVALID, 'the company of this code is gone');
    const row = await tx.one<{ id: string }>(
      `INSERT INTO ${tx.t('connector')}
         ("organization_id", "name", "public_key", "key_thumbprint", "hostname", "area_id", "activated_by")
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT ("key_thumbprint") DO NOTHING RETURNING "id"`,
      [org.id, hostname, key.spkiPem, key.thumbprint, hostname, input.areaId, input.activatedBy],
    );
    if (!row) throw new PortalError(PortalErrorCode.KEY_IN_USE, 'this public key is already registered');
    return { connectorId: row.id, orgId: org.id, orgSlug: org.slug, orgName: org.name };
  }
}
