import { Injectable } from '@nestjs/common';
import type { ClientInfo, Principal } from '../auth/principal';
import { OperationLogRepository } from '../domain/operator.repository';

export function actorOf(p: Principal): string {
  return `${p.role === 'admin' ? 'operator' : 'person'}:${p.name}`;
}

/** The operation log entry every write through the mobile API leaves: who, from where, when, what. */
@Injectable()
export class AuditService {
  constructor(private readonly log: OperationLogRepository) {}

  async record(
    who: Principal,
    client: ClientInfo,
    action: string,
    target: string | null,
    detail: Record<string, unknown> | null = null,
  ): Promise<void> {
    await this.log.record({
      actor: actorOf(who),
      action,
      target,
      ip: client.ip ?? null,
      userAgent: client.userAgent ?? null,
      detail: { ...detail, via: 'mobile' },
    });
  }
}
