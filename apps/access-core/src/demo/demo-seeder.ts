import { randomBytes } from 'node:crypto';
import { IsNull, Not, type DataSource } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import { MAX_PASSWORD_LENGTH, PasswordHasher } from '@lanbridge/passwords';
import { fieldCipher } from '../crypto/field-cipher';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { AccessLevelRepository } from '../domain/access-level.repository';
import { DeviceCommandRepository } from '../domain/device-command.repository';
import type { AreaEntity } from '../domain/area.entity';
import type { DeviceEntity } from '../domain/device.entity';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import { LockdownGroupRepository } from '../domain/lockdown-group.repository';
import type { PersonEntity } from '../domain/person.entity';
import { PersonRepository } from '../domain/person.repository';
import { DomainEvents } from '../events/domain-events';
import { DeviceCommandService } from '../terminals/device-command.service';
import { SyncService } from '../terminals/sync.service';
import {
  DEMO_ACCESS_LEVEL,
  DEMO_AREAS,
  DEMO_DEPARTMENT,
  DEMO_DEVICES,
  DEMO_GUARDIANS,
  DEMO_LOCKDOWN_GROUP,
  DEMO_PASSWORD_SETTING,
  DEMO_PEOPLE,
  type DemoDevice,
  type DemoPerson,
} from './demo-site';

export const MIN_DEMO_PASSWORD_LENGTH = 8;

export const DemoSeedErrorCode = {
  /** `--person-password` is shorter than 8 or longer than MAX_PASSWORD_LENGTH characters. */
  BAD_PASSWORD: 'DEMO_BAD_PASSWORD',
} as const;
export type DemoSeedErrorCode = (typeof DemoSeedErrorCode)[keyof typeof DemoSeedErrorCode];

export class DemoSeedError extends Error {
  constructor(
    readonly code: DemoSeedErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DemoSeedError';
  }
}

export interface DemoSeedOptions {
  /** Password of the App Login people; default: the one a previous run set, else a new random one. */
  readonly personPassword?: string;
}

export interface DemoSummary {
  readonly areas: string[];
  readonly devices: { sn: string; alias: string; area: string; doors: number }[];
  readonly people: { pin: string; name: string; card: string | null; appLogin: boolean }[];
  /** null when the App Login people's password was changed since it was seeded (it is left alone). */
  readonly personPassword: string | null;
  readonly accessLevel: { name: string; doors: number; people: string[] };
  readonly lockdownGroup: { name: string; doors: number };
}

export interface DemoSeedResult {
  readonly summary: DemoSummary;
  /** What this run wrote (empty on a re-run over an unchanged demo site). */
  readonly changes: string[];
}

/**
 * Brings the database to the demo site (demo-site.ts): missing rows are created, demo-owned
 * fields that drifted are set back, nothing else is touched (operators neither: the app seeds
 * `admin`). A second run over the result writes nothing. It runs while the app is stopped,
 * on the same DataSource the app opens (so encrypted columns work).
 */
export class DemoSeeder {
  private readonly log: Logger;
  private readonly areas: AreaRepository;
  private readonly devices: DeviceRepository;
  private readonly doors: DoorRepository;
  private readonly people: PersonRepository;
  private readonly levels: AccessLevelRepository;
  private readonly groups: LockdownGroupRepository;
  private readonly settings: SiteSettingRepository;
  private readonly sync: SyncService;
  private readonly changes: string[] = [];

  constructor(
    dataSource: DataSource,
    logger: Logger,
    private readonly hasher = new PasswordHasher(),
  ) {
    this.log = logger.child({ component: 'demo-seed' });
    this.areas = new AreaRepository(dataSource);
    this.devices = new DeviceRepository(dataSource);
    this.doors = new DoorRepository(dataSource);
    this.people = new PersonRepository(dataSource);
    this.levels = new AccessLevelRepository(dataSource);
    this.groups = new LockdownGroupRepository(dataSource);
    this.settings = new SiteSettingRepository(dataSource);
    const commands = new DeviceCommandService(
      new DeviceCommandRepository(dataSource),
      new DomainEvents(logger),
      logger,
    );
    this.sync = new SyncService(this.people, this.levels, this.devices, this.doors, commands, logger);
  }

  async seed(opts: DemoSeedOptions = {}): Promise<DemoSeedResult> {
    if (opts.personPassword !== undefined) checkDemoPassword(opts.personPassword);
    this.changes.length = 0;

    const areaByName = new Map<string, AreaEntity>();
    for (const name of DEMO_AREAS) areaByName.set(name, await this.ensureArea(name));

    const devices: DeviceEntity[] = [];
    for (const d of DEMO_DEVICES) {
      const area = areaByName.get(d.area);
      if (!area) throw new Error(`demo device ${d.sn} names an unknown area ${d.area}`);
      devices.push(await this.ensureDevice(d, area));
    }

    const departmentId = await this.ensureDepartment();
    const personByPin = new Map<string, PersonEntity>();
    for (const p of DEMO_PEOPLE) personByPin.set(p.pin, await this.ensurePerson(p, departmentId));
    const pinToId = (pin: string): string => {
      const person = personByPin.get(pin);
      if (!person) throw new Error(`demo data names an unknown pin ${pin}`);
      return person.id;
    };
    for (const g of DEMO_GUARDIANS) await this.ensureGuardian(pinToId(g.guardian), pinToId(g.ward), g);

    const appLoginPeople = DEMO_PEOPLE.filter((p) => p.appLogin).map((p) => personByPin.get(p.pin) as PersonEntity);
    const personPassword = await this.ensurePasswords(appLoginPeople, opts.personPassword);

    const allDoorIds = (await this.doors.orm.find({ select: { id: true } })).map((d) => d.id);
    const levelId = await this.ensureAccessLevel(allDoorIds, DEMO_ACCESS_LEVEL.members.map(pinToId));
    const groupId = await this.ensureLockdownGroup(allDoorIds);

    // Terminals that registered before (a site run before seeding) never register again, so
    // they are sent the new people and rights now; the app hands the commands out on their polls.
    // Never-registered ones get everything at their first registration (push.service.ts).
    if (this.changes.length > 0) {
      for (const device of await this.devices.orm.findBy({ registryCode: Not(IsNull()) })) {
        await this.sync.syncDevice(device.id);
        this.changes.push(`sync queued for registered device ${device.sn}`);
      }
    }

    const summary = await this.summarise(devices, areaByName, personByPin, levelId, groupId, personPassword);
    return { summary, changes: [...this.changes] };
  }

  private changed(what: string, detail: Record<string, unknown> = {}): void {
    this.changes.push(what);
    this.log.info(detail, what);
  }

  private async ensureArea(name: string): Promise<AreaEntity> {
    const found = await this.areas.orm.findOneBy({ name, parentId: IsNull() });
    if (found) return found;
    const area = await this.areas.orm.save(this.areas.orm.create({ name, parentId: null }));
    this.changed(`area created: ${name}`);
    return area;
  }

  private async ensureDevice(d: DemoDevice, area: AreaEntity): Promise<DeviceEntity> {
    let device = await this.devices.findBySn(d.sn);
    if (!device) {
      device = await this.devices.orm.save(
        this.devices.orm.create({
          sn: d.sn,
          alias: d.alias,
          protocol: 'acc',
          doorCount: d.doors,
          // The simulator's F20/M, like most panels, has an in and an out reader per door.
          readerCount: d.doors * 2,
          enrollment: 'provisioned',
          // Provisioned by the seed, as an operator would: the demo terminals need no approval.
          approval: 'approved',
          online: false,
          areaId: area.id,
          options: {},
        }),
      );
      this.changed(`device provisioned: ${d.sn} ${d.alias}`, { sn: d.sn, area: area.name });
    } else if (device.alias !== d.alias || device.areaId !== area.id || device.approval === 'pending') {
      // A demo terminal that called in before the seed ran waits as pending: the seed approves
      // it. One an operator rejected stays rejected.
      const approval = device.approval === 'pending' ? 'approved' : device.approval;
      await this.devices.orm.update(
        { id: device.id },
        { alias: d.alias, areaId: area.id, approval, updatedAt: new Date() },
      );
      device.alias = d.alias;
      device.areaId = area.id;
      device.approval = approval;
      this.changed(`device updated: ${d.sn} ${d.alias}`, { sn: d.sn, area: area.name, approval });
    }
    for (const door of await this.doors.ensureForDevice(device)) {
      this.changed(`door created: ${door.name}`, { sn: device.sn, doorNo: door.doorNo });
    }
    return device;
  }

  private async ensureDepartment(): Promise<string> {
    const found = await this.people.departments.findOneBy({ code: DEMO_DEPARTMENT.code });
    if (found) return found.id;
    const created = await this.people.departments.save(
      this.people.departments.create({ code: DEMO_DEPARTMENT.code, name: DEMO_DEPARTMENT.name, parentId: null }),
    );
    this.changed(`department created: ${DEMO_DEPARTMENT.name}`);
    return created.id;
  }

  private async ensurePerson(p: DemoPerson, departmentId: string): Promise<PersonEntity> {
    const wanted = {
      firstName: p.firstName,
      lastName: p.lastName,
      cardNo: p.cardNo,
      appLoginEnabled: p.appLogin,
      departmentId,
    };
    const found = await this.people.findByPin(p.pin);
    if (!found) {
      const person = await this.people.orm.save(this.people.orm.create({ pin: p.pin, ...wanted }));
      this.changed(`person created: ${p.pin} ${p.firstName} ${p.lastName}`);
      return person;
    }
    const drifted = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((k) => found[k] !== wanted[k]);
    if (drifted.length === 0) return found;
    await this.people.orm.update({ id: found.id }, { ...wanted, updatedAt: new Date() });
    this.changed(`person updated: ${p.pin} ${p.firstName} ${p.lastName}`, { fields: drifted });
    return Object.assign(found, wanted);
  }

  private async ensureGuardian(
    guardianId: string,
    wardId: string,
    pins: { readonly guardian: string; readonly ward: string },
  ): Promise<void> {
    if ((await this.people.guardianIdsOf(wardId)).includes(guardianId)) return;
    await this.people.addGuardian(guardianId, wardId);
    this.changed(`guardian added: ${pins.guardian} follows ${pins.ward}`);
  }

  /**
   * An explicit password is (re)applied to every App Login person; without one, people who
   * have no password get the one a previous run chose (else a new random one), and passwords
   * set since (e.g. changed in the app) are kept.
   * @returns the password that opens every App Login account, or null when there is none.
   */
  private async ensurePasswords(people: PersonEntity[], given: string | undefined): Promise<string | null> {
    const stored = await this.storedPassword();
    const candidate = given ?? stored ?? randomBytes(12).toString('base64url');
    let opensAll = true;
    for (const person of people) {
      const ok = person.passwordHash !== null && (await this.hasher.verify(person.passwordHash, candidate));
      if (ok) continue;
      if (person.passwordHash !== null && given === undefined) {
        opensAll = false;
        this.log.warn({ pin: person.pin }, 'password changed since seeding; left alone (--person-password resets it)');
        continue;
      }
      const passwordHash = await this.hasher.hash(candidate);
      await this.people.orm.update({ id: person.id }, { passwordHash, updatedAt: new Date() });
      this.changed(`password set: ${person.pin}`);
    }
    if (!opensAll) return null;
    if (candidate !== stored) {
      await this.settings.set(DEMO_PASSWORD_SETTING, fieldCipher().encryptText(candidate));
      this.changed('demo password stored (sealed)');
    }
    return candidate;
  }

  private async storedPassword(): Promise<string | undefined> {
    const row = await this.settings.get(DEMO_PASSWORD_SETTING);
    if (typeof row?.value !== 'string') return undefined;
    try {
      return fieldCipher().decryptText(row.value);
    } catch (err) {
      // E.g. sealed under a key that is no longer configured: a new password is chosen.
      this.log.warn({ err }, 'the stored demo password cannot be opened; choosing a new one');
      return undefined;
    }
  }

  private async ensureAccessLevel(doorIds: string[], memberIds: string[]): Promise<string> {
    let level = await this.levels.orm.findOneBy({ name: DEMO_ACCESS_LEVEL.name });
    if (!level) {
      level = await this.levels.orm.save(this.levels.orm.create({ name: DEMO_ACCESS_LEVEL.name, timeZoneId: null }));
      this.changed(`access level created: ${DEMO_ACCESS_LEVEL.name}`);
    } else if (level.timeZoneId !== null) {
      await this.levels.orm.update({ id: level.id }, { timeZoneId: null });
      this.changed(`access level set to always: ${DEMO_ACCESS_LEVEL.name}`);
    }
    if (!sameSet(await this.levels.doorIds(level.id), doorIds)) {
      await this.levels.setDoors(level.id, doorIds);
      this.changed(`access level doors set: ${DEMO_ACCESS_LEVEL.name}`, { doors: doorIds.length });
    }
    const members = new Set(await this.levels.personIds(level.id));
    for (const id of memberIds) {
      if (members.has(id)) continue;
      await this.levels.addPerson(level.id, id);
      this.changed(`access level member added: ${DEMO_ACCESS_LEVEL.name}`, { personId: id });
    }
    return level.id;
  }

  private async ensureLockdownGroup(doorIds: string[]): Promise<string> {
    let group = await this.groups.orm.findOneBy({ name: DEMO_LOCKDOWN_GROUP.name });
    if (!group) {
      group = await this.groups.orm.save(this.groups.orm.create({ name: DEMO_LOCKDOWN_GROUP.name }));
      this.changed(`lockdown group created: ${DEMO_LOCKDOWN_GROUP.name}`);
    }
    if (!sameSet(await this.groups.doorIds(group.id), doorIds)) {
      await this.groups.setDoors(group.id, doorIds);
      this.changed(`lockdown group doors set: ${DEMO_LOCKDOWN_GROUP.name}`, { doors: doorIds.length });
    }
    return group.id;
  }

  private async summarise(
    devices: DeviceEntity[],
    areaByName: Map<string, AreaEntity>,
    personByPin: Map<string, PersonEntity>,
    levelId: string,
    groupId: string,
    personPassword: string | null,
  ): Promise<DemoSummary> {
    const areaName = new Map([...areaByName.values()].map((a) => [a.id, a.name]));
    const levelPeople = new Set(await this.levels.personIds(levelId));
    return {
      areas: [...areaByName.keys()],
      devices: await Promise.all(
        devices.map(async (d) => ({
          sn: d.sn,
          alias: d.alias,
          area: (d.areaId && areaName.get(d.areaId)) || '',
          doors: (await this.doors.byDevice(d.id)).length,
        })),
      ),
      people: [...personByPin.values()].map((p) => ({
        pin: p.pin,
        name: `${p.firstName} ${p.lastName}`.trim(),
        card: p.cardNo,
        appLogin: p.appLoginEnabled,
      })),
      personPassword,
      accessLevel: {
        name: DEMO_ACCESS_LEVEL.name,
        doors: (await this.levels.doorIds(levelId)).length,
        people: [...personByPin.values()].filter((p) => levelPeople.has(p.id)).map((p) => p.pin),
      },
      lockdownGroup: { name: DEMO_LOCKDOWN_GROUP.name, doors: (await this.groups.doorIds(groupId)).length },
    };
  }
}

/** @throws DemoSeedError BAD_PASSWORD (call before opening the database, to fail fast). */
export function checkDemoPassword(password: string): void {
  if (password.length < MIN_DEMO_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new DemoSeedError(
      DemoSeedErrorCode.BAD_PASSWORD,
      `--person-password must be ${MIN_DEMO_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
