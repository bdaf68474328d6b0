import { Inject, Injectable } from '@nestjs/common';
import { PasswordHasher } from '@lanbridge/passwords';
import type { ClientInfo, Principal } from '../auth/principal';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG } from '../config/config.tokens';
import { TokenService } from '../auth/token.service';
import type { PersonEntity } from '../domain/person.entity';
import { PersonRepository } from '../domain/person.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { PersonDataService, type PersonExport } from '../people-data/person-data.service';
import { SyncService } from '../terminals/sync.service';
import { AuditService, actorOf } from './audit.service';
import { decodePhoto, sniffImageType, type Picture } from './default-picture';
import type { CreatePersonDto, PersonListQueryDto, UpdatePersonDto } from './dto/people.dto';
import { likePattern, pageWindow, type Page } from './pagination';
import { personName } from './visits.service';
import type { PersonView } from '@lanbridge/mobile-api';
export type { PersonView } from '@lanbridge/mobile-api';

@Injectable()
export class PeopleService {
  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    private readonly people: PersonRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly sync: SyncService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly personData: PersonDataService,
  ) {}

  /** Everything the site holds about one person, decrypted (a data-subject access request). */
  async exportData(id: string, who: Principal, client: ClientInfo): Promise<PersonExport> {
    const data = await this.personData.exportPerson(id);
    await this.audit.record(who, client, 'person.export', `person:${data.person.pin}`);
    return data;
  }

  /** Erases the person: record, credentials, photos, rights on the terminals, app sessions. */
  async erase(id: string, who: Principal, client: ClientInfo): Promise<void> {
    await this.tokens.revokeSubject('personnel', id);
    await this.personData.erasePerson(id, actorOf(who), client);
  }

  async create(dto: CreatePersonDto, who: Principal, client: ClientInfo): Promise<PersonView> {
    if (await this.people.findByPin(dto.pin)) {
      throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, `personnel id ${dto.pin} is taken`);
    }
    const photo = decodePhoto('photo', dto.photo, this.config.MOBILE_PHOTO_MAX_BYTES);
    const hash = dto.password ? await this.hasher.hash(dto.password) : null;
    const person = await this.people.orm.save(
      this.people.orm.create({
        pin: dto.pin,
        firstName: dto.firstName,
        lastName: dto.lastName ?? '',
        cardNo: dto.cardNo ?? null,
        email: dto.email ?? null,
        departmentId: dto.department ? await this.departmentId(dto.department) : null,
        appLoginEnabled: dto.appLoginEnabled ?? false,
        passwordHash: hash,
        selfServicePasswordHash: dto.password ? await this.hasher.hash(dto.password) : null,
        photo,
      }),
    );
    await this.sync.pushPerson(person.id);
    await this.audit.record(who, client, 'person.create', `person:${person.pin}`, {
      appLoginEnabled: person.appLoginEnabled,
    });
    return this.view(person);
  }

  async list(q: PersonListQueryDto): Promise<Page<PersonView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const qb = this.people.orm.createQueryBuilder('p');
    if (q.q) {
      qb.where("(p.pin ILIKE :q OR (p.first_name || ' ' || p.last_name) ILIKE :q)", { q: likePattern(q.q) });
    }
    const [rows, total] = await qb
      .orderBy('p.pin', q.order === 'desc' ? 'DESC' : 'ASC')
      .skip(skip)
      .take(take)
      .getManyAndCount();
    return { items: await Promise.all(rows.map((p) => this.view(p))), page, pageSize, total };
  }

  async get(id: string): Promise<PersonView> {
    return this.view(await this.require(id));
  }

  async update(id: string, dto: UpdatePersonDto, who: Principal, client: ClientInfo): Promise<PersonView> {
    const person = await this.require(id);
    if (dto.firstName !== undefined) person.firstName = dto.firstName;
    if (dto.lastName !== undefined) person.lastName = dto.lastName;
    if (dto.cardNo !== undefined) person.cardNo = dto.cardNo;
    if (dto.department !== undefined) person.departmentId = await this.departmentId(dto.department);
    if (dto.photo !== undefined) person.photo = decodePhoto('photo', dto.photo, this.config.MOBILE_PHOTO_MAX_BYTES);
    if (dto.password !== undefined) {
      person.passwordHash = await this.hasher.hash(dto.password);
      person.selfServicePasswordHash = await this.hasher.hash(dto.password);
    }
    person.updatedAt = this.clock.now();
    await this.people.orm.save(person);
    if (dto.password !== undefined) await this.tokens.revokeSubject('personnel', id);
    await this.sync.pushPerson(id);
    const changed = Object.keys(dto).filter((k) => k !== 'password');
    await this.audit.record(who, client, 'person.update', `person:${person.pin}`, {
      fields: dto.password !== undefined ? [...changed, 'password'] : changed,
    });
    return this.view(person);
  }

  /** The person's photo (decrypted). */
  async photo(id: string): Promise<Picture> {
    const person = await this.require(id);
    if (!person.photo?.length)
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `person ${id} has no photo`);
    return { contentType: sniffImageType(person.photo), bytes: person.photo };
  }

  async setAppLogin(id: string, enabled: boolean, who: Principal, client: ClientInfo): Promise<PersonView> {
    const person = await this.require(id);
    await this.people.orm.update({ id }, { appLoginEnabled: enabled, updatedAt: this.clock.now() });
    if (!enabled) await this.tokens.revokeSubject('personnel', id);
    await this.audit.record(
      who,
      client,
      enabled ? 'person.app-login.enable' : 'person.app-login.disable',
      `person:${person.pin}`,
    );
    return this.get(id);
  }

  async addGuardian(id: string, guardianPin: string, who: Principal, client: ClientInfo): Promise<PersonView> {
    const person = await this.require(id);
    const guardian = await this.people.findByPin(guardianPin);
    if (!guardian)
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no person with personnel id ${guardianPin}`);
    if (guardian.id === id)
      throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, 'a person cannot be their own guardian');
    await this.people.addGuardian(guardian.id, id);
    await this.audit.record(who, client, 'person.guardian.add', `person:${person.pin}`, { guardian: guardianPin });
    return this.get(id);
  }

  private async require(id: string): Promise<PersonEntity> {
    const p = await this.people.findById(id);
    if (!p) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no person ${id}`);
    return p;
  }

  private async departmentId(name: string): Promise<string> {
    const code = name.toLowerCase();
    await this.people.departments.createQueryBuilder().insert().values({ code, name }).orIgnore().execute();
    const dept = await this.people.departments.findOneByOrFail({ code });
    return dept.id;
  }

  private async view(p: PersonEntity): Promise<PersonView> {
    const [dept, guardianIds] = await Promise.all([
      p.departmentId ? this.people.departments.findOneBy({ id: p.departmentId }) : null,
      this.people.guardianIdsOf(p.id),
    ]);
    return {
      id: p.id,
      pin: p.pin,
      firstName: p.firstName,
      lastName: p.lastName,
      name: personName(p),
      cardNo: p.cardNo,
      department: dept?.name ?? null,
      email: p.email,
      appLoginEnabled: p.appLoginEnabled,
      passwordSet: p.passwordHash !== null,
      photoUrl: p.photo?.length ? `/api/v1/people/${p.id}/photo` : null,
      guardianIds,
      createdAt: p.createdAt.toISOString(),
    };
  }
}
