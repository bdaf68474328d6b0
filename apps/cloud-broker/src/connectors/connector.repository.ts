import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { ConnectorEntity } from '../database/connector.entity';

export interface ConnectorRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  /** SPKI PEM. */
  readonly publicKey: string;
  readonly keyThumbprint: string;
  readonly revokedAt: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toRecord(e: ConnectorEntity): ConnectorRecord {
  return {
    id: e.id,
    organizationId: e.organizationId,
    name: e.name,
    publicKey: e.publicKey,
    keyThumbprint: e.keyThumbprint,
    revokedAt: e.revokedAt,
  };
}

@Injectable()
export class ConnectorRepository {
  private readonly repo: Repository<ConnectorEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(ConnectorEntity);
  }

  /** The connector if it exists and is not revoked. Ids that are not UUIDs are simply unknown. */
  async findActive(id: string): Promise<ConnectorRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.repo.findOne({ where: { id, revokedAt: IsNull() } });
    return row ? toRecord(row) : undefined;
  }

  async findByThumbprint(keyThumbprint: string): Promise<ConnectorRecord | undefined> {
    const row = await this.repo.findOne({ where: { keyThumbprint } });
    return row ? toRecord(row) : undefined;
  }

  async create(input: {
    organizationId: string;
    name: string;
    publicKey: string;
    keyThumbprint: string;
  }): Promise<ConnectorRecord> {
    const row = await this.repo.save(this.repo.create(input));
    return toRecord(row);
  }

  async touchLastSeen(id: string, at: Date): Promise<void> {
    await this.repo.update({ id }, { lastSeenAt: at });
  }

  async revoke(id: string, at: Date): Promise<void> {
    await this.repo.update({ id }, { revokedAt: at });
  }
}
