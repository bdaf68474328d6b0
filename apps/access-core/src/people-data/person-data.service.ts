import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { AccessEventEntity } from '../domain/access-event.entity';
import { AccessLevelRepository } from '../domain/access-level.repository';
import { NotificationEntity } from '../domain/notification.entity';
import { OperationLogRepository } from '../domain/operator.repository';
import { PersonEntity } from '../domain/person.entity';
import { PersonRepository } from '../domain/person.repository';
import { InvitationEntity, VisitEntity } from '../domain/visitor.entity';
import { DomainEvents } from '../events/domain-events';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { SyncService } from '../terminals/sync.service';

/** Everything stored about one person, decrypted (the data-subject access export). */
export interface PersonExport {
  readonly exportedAt: string;
  readonly person: {
    readonly id: string;
    readonly pin: string;
    readonly firstName: string;
    readonly lastName: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly idNumber: string | null;
    readonly cardNo: string | null;
    /** base64, or null. */
    readonly photo: string | null;
    readonly department: string | null;
    readonly appLoginEnabled: boolean;
    readonly hasAppPassword: boolean;
    readonly hasSelfServicePassword: boolean;
    readonly notificationsEnabled: boolean;
    readonly validFrom: string | null;
    readonly validTo: string | null;
    readonly disabled: boolean;
    readonly createdAt: string;
    readonly updatedAt: string;
  };
  readonly accessLevels: readonly string[];
  /** Pins of the people this person follows, and of the people following this person. */
  readonly guardianOf: readonly string[];
  readonly guardedBy: readonly string[];
  readonly events: ReadonlyArray<{
    readonly time: string;
    readonly code: number;
    readonly name: string;
    readonly level: string;
    readonly deviceSn: string;
    readonly doorNo: number | null;
    readonly cardNo: string | null;
    readonly verifyType: string | null;
    readonly picture: string | null;
  }>;
  readonly invitations: ReadonlyArray<{
    readonly firstName: string;
    readonly lastName: string | null;
    readonly email: string;
    readonly mobile: string | null;
    readonly startAt: string;
    readonly endAt: string;
    readonly reason: string | null;
    readonly status: string;
  }>;
  readonly hostedVisits: ReadonlyArray<{
    readonly visitorId: string;
    readonly startAt: string;
    readonly status: string;
  }>;
  readonly notifications: ReadonlyArray<{
    readonly kind: string;
    readonly title: string;
    readonly body: string;
    readonly createdAt: string;
  }>;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Export and erasure of one person's data (privacy requests). */
@Injectable()
export class PersonDataService {
  private readonly log: Logger;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly people: PersonRepository,
    private readonly levels: AccessLevelRepository,
    private readonly oplog: OperationLogRepository,
    private readonly sync: SyncService,
    private readonly bus: DomainEvents,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'person-data' });
  }

  /** @throws AccessCoreException NOT_FOUND. */
  async exportPerson(personId: string): Promise<PersonExport> {
    const p = await this.requirePerson(personId);
    const department = p.departmentId ? await this.people.departments.findOneBy({ id: p.departmentId }) : null;
    const pinsOf = async (ids: string[]): Promise<string[]> =>
      ids.length === 0 ? [] : (await this.people.orm.findBy({ id: In(ids) })).map((x) => x.pin);
    const events = await this.dataSource
      .getRepository(AccessEventEntity)
      .find({ where: [{ personId: p.id }, { pin: p.pin }], order: { time: 'ASC' } });
    const invitations = await this.dataSource
      .getRepository(InvitationEntity)
      .find({ where: { personId: p.id }, order: { createdAt: 'ASC' } });
    const visits = await this.dataSource
      .getRepository(VisitEntity)
      .find({ where: { hostPersonId: p.id }, order: { startAt: 'ASC' } });
    const notifications = await this.dataSource
      .getRepository(NotificationEntity)
      .find({ where: { recipientPersonId: p.id }, order: { createdAt: 'ASC' } });
    return {
      exportedAt: new Date().toISOString(),
      person: {
        id: p.id,
        pin: p.pin,
        firstName: p.firstName,
        lastName: p.lastName,
        email: p.email,
        phone: p.phone,
        idNumber: p.idNumber,
        cardNo: p.cardNo,
        photo: p.photo ? p.photo.toString('base64') : null,
        department: department?.name ?? null,
        appLoginEnabled: p.appLoginEnabled,
        hasAppPassword: p.passwordHash !== null,
        hasSelfServicePassword: p.selfServicePasswordHash !== null,
        notificationsEnabled: p.notificationsEnabled,
        validFrom: iso(p.validFrom),
        validTo: iso(p.validTo),
        disabled: p.disabled,
        createdAt: p.createdAt.toISOString(),
        updatedAt: p.updatedAt.toISOString(),
      },
      accessLevels: (await this.levels.levelsOfPerson(p.id)).map((l) => l.name),
      guardianOf: await pinsOf(await this.people.wardIdsOf(p.id)),
      guardedBy: await pinsOf(await this.people.guardianIdsOf(p.id)),
      events: events.map((e) => ({
        time: e.time.toISOString(),
        code: e.code,
        name: e.name,
        level: e.level,
        deviceSn: e.deviceSn,
        doorNo: e.doorNo,
        cardNo: e.cardNo,
        verifyType: e.verifyType,
        picture: e.picture ? e.picture.toString('base64') : null,
      })),
      invitations: invitations.map((i) => ({
        firstName: i.firstName,
        lastName: i.lastName,
        email: i.email,
        mobile: i.mobile,
        startAt: i.startAt.toISOString(),
        endAt: i.endAt.toISOString(),
        reason: i.reason,
        status: i.status,
      })),
      hostedVisits: visits.map((v) => ({ visitorId: v.visitorId, startAt: v.startAt.toISOString(), status: v.status })),
      notifications: notifications.map((n) => ({
        kind: n.kind,
        title: n.title,
        body: n.body,
        createdAt: n.createdAt.toISOString(),
      })),
    };
  }

  /**
   * Erases a person: the row (with credentials, encrypted fields, photo), their guardian links,
   * level memberships, invitations and notifications (and, through 'person.erased', their live
   * messages and pending pushes); their events stay as anonymous records
   * (person, pin, card, picture and raw line cleared); the terminals are told to delete them.
   * @throws AccessCoreException NOT_FOUND.
   */
  async erasePerson(
    personId: string,
    actor: string,
    client: { readonly ip?: string | null; readonly userAgent?: string | null } = {},
  ): Promise<void> {
    const p = await this.requirePerson(personId);
    await this.dataSource.transaction(async (m) => {
      await m
        .createQueryBuilder()
        .update(AccessEventEntity)
        .set({ personId: null, pin: null, cardNo: null, picture: null, raw: null })
        .where('person_id = :id OR pin = :pin', { id: p.id, pin: p.pin })
        .execute();
      // Guardian links, level memberships, invitations and notifications go by ON DELETE CASCADE;
      // hosted visits keep the visit with no host (ON DELETE SET NULL).
      await m.delete(PersonEntity, { id: p.id });
    });
    this.bus.emit('person.erased', { personId: p.id });
    await this.sync.removePerson(p.pin);
    await this.oplog.record({
      actor,
      action: 'person.erase',
      target: `person:${p.pin}`,
      ip: client.ip ?? null,
      userAgent: client.userAgent ?? null,
      detail: { pin: p.pin },
    });
    this.log.info({ pin: p.pin, actor }, 'person erased');
  }

  private async requirePerson(id: string): Promise<PersonEntity> {
    const p = await this.people.findById(id);
    if (!p) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no person ${id}`);
    return p;
  }
}
