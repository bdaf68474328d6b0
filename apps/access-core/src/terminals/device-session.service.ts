import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import type { DeviceApproval, DeviceEntity, DeviceProtocol } from '../domain/device.entity';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import { DomainEvents } from '../events/domain-events';
import { LOST_CONNECT_EVENT } from '../events/event-codes';
import { EventIngestService } from '../events/event-ingest.service';
import { DeviceCommandService } from './device-command.service';
import type { KeyValues } from './push-codec';

/** How often `last_seen_at` is written while a device keeps polling. */
const LAST_SEEN_WRITE_MS = 30_000;
/** Unknown serial numbers are remembered this long, so a stranger's polling stays cheap. */
const UNKNOWN_SN_TTL_MS = 5_000;
/** Unknown terminals recorded for approval at most; beyond it another one is refused unrecorded. */
export const MAX_PENDING_DEVICES = 1_000;

interface Session {
  device: DeviceEntity;
  lastSeenMs: number;
  lastWrittenMs: number;
  /** Set while the offline transition is being written, so it runs once. */
  goingOffline: boolean;
}

function randomCode(length: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function clampInt(v: number | undefined, min: number, max: number, fallback: number): number {
  return v === undefined || !Number.isFinite(v) ? fallback : Math.min(max, Math.max(min, Math.trunc(v)));
}

/**
 * Which terminals exist and whether they are online. A device is online while it polls and
 * goes offline after DEVICE_OFFLINE_AFTER_MS of silence, which raises event 700 "Lost
 * Connect". Known devices are cached by SN so a poll costs no query.
 */
@Injectable()
export class DeviceSessionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: Logger;
  private readonly sessions = new Map<string, Session>();
  private readonly unknown = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;
  readonly offlineAfterMs: number;

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly devices: DeviceRepository,
    private readonly doors: DoorRepository,
    private readonly areas: AreaRepository,
    private readonly commands: DeviceCommandService,
    private readonly ingest: EventIngestService,
    private readonly bus: DomainEvents,
  ) {
    this.log = root.child({ component: 'device-sessions' });
    this.offlineAfterMs = config.DEVICE_OFFLINE_AFTER_MS ?? 3 * config.PUSH_REQUEST_DELAY_SEC * 1000 + 5_000;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Devices marked online before a restart get a fresh grace period from now.
    const now = Date.now();
    for (const device of await this.devices.orm.findBy({ online: true })) {
      this.sessions.set(device.sn, { device, lastSeenMs: now, lastWrittenMs: now, goingOffline: false });
    }
    const every = Math.max(50, Math.min(1_000, Math.floor(this.offlineAfterMs / 4)));
    this.sweeper = setInterval(() => void this.sweep(), every);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** True while the device polls (the source of truth for "can a command reach it now"). */
  isOnline(deviceId: string): boolean {
    for (const s of this.sessions.values()) if (s.device.id === deviceId) return s.device.online;
    return false;
  }

  /** A known device by SN (cached), or undefined. */
  async find(sn: string, now = Date.now()): Promise<DeviceEntity | undefined> {
    const s = this.sessions.get(sn);
    if (s) return s.device;
    const miss = this.unknown.get(sn);
    if (miss !== undefined && now - miss < UNKNOWN_SN_TTL_MS) return undefined;
    const device = await this.devices.findBySn(sn);
    if (!device) {
      if (this.unknown.size > 10_000) this.unknown.clear();
      this.unknown.set(sn, now);
      return undefined;
    }
    this.unknown.delete(sn);
    this.sessions.set(sn, { device, lastSeenMs: 0, lastWrittenMs: 0, goingOffline: false });
    return device;
  }

  /** Drops cached copies (call after editing a device row elsewhere). */
  invalidate(sn?: string): void {
    if (sn === undefined) {
      for (const [k, s] of this.sessions) if (!s.device.online) this.sessions.delete(k);
      this.unknown.clear();
      return;
    }
    this.unknown.delete(sn);
    const s = this.sessions.get(sn);
    if (s && !s.device.online) this.sessions.delete(sn);
  }

  /** Any request from a known device: it is alive. Cheap unless it was offline. */
  async seen(device: DeviceEntity, now = new Date()): Promise<void> {
    const s = this.sessions.get(device.sn) ?? { device, lastSeenMs: 0, lastWrittenMs: 0, goingOffline: false };
    this.sessions.set(device.sn, s);
    const ms = now.getTime();
    s.lastSeenMs = ms;
    if (!s.device.online) {
      s.device.online = true;
      s.device.lastSeenAt = now;
      s.lastWrittenMs = ms;
      await this.devices.orm.update({ id: s.device.id }, { online: true, lastSeenAt: now });
      this.log.info({ sn: device.sn }, 'device online');
      this.bus.emit('device.status', { device: s.device, online: true, reason: 'poll' });
    } else if (ms - s.lastWrittenMs > LAST_SEEN_WRITE_MS) {
      s.lastWrittenMs = ms;
      s.device.lastSeenAt = now;
      await this.devices.orm.update({ id: s.device.id }, { lastSeenAt: now });
    }
  }

  /** A handshake from a known device: a new session (after power-on or errors). */
  async handshake(device: DeviceEntity, protocol: DeviceProtocol, now = new Date()): Promise<DeviceEntity> {
    if (device.protocol !== protocol) {
      device.protocol = protocol;
      await this.devices.orm.update({ id: device.id }, { protocol });
    }
    await this.seen(device, now);
    await this.commands.failUnanswered(device.id, now);
    this.bus.emit('device.session', { device, kind: 'handshake' });
    return device;
  }

  /**
   * `POST /iclock/registry`, or an attendance handshake from a device that never registered.
   * An unknown SN is approved at once into the default area when PUSH_AUTO_ENROLL is on;
   * otherwise it is recorded as `pending` (what it says it is, its address, when it called)
   * for an operator to approve, and refused. Pending and rejected devices are refused, with
   * their last call recorded. Approved ones get their descriptive fields refreshed and keep
   * their RegistryCode.
   * @returns `refused` for a device that gets nothing (pending, rejected, or no room to record
   *   another pending one); else the device, with `firstContact` true when it had never
   *   registered before (auto-approved now, approved by an operator, or provisioned in
   *   advance), so it needs the full people/rights synchronisation.
   */
  async register(
    sn: string,
    info: KeyValues,
    protocol: DeviceProtocol,
    ip: string | undefined,
    now = new Date(),
  ): Promise<
    | { refused: false; device: DeviceEntity; created: boolean; firstContact: boolean }
    | { refused: true; approval: DeviceApproval | 'not-recorded' }
  > {
    let device = await this.devices.findBySn(sn);
    let created = false;
    const doorCount = clampInt(info.int('LockCount'), 1, 4, device?.doorCount ?? 1);
    const described = {
      model: info.get('~DeviceName') ?? device?.model ?? null,
      firmware: info.get('FirmVer') ?? device?.firmware ?? null,
      machineType: info.int('MachineType') ?? device?.machineType ?? null,
      doorCount,
      readerCount: clampInt(info.int('ReaderCount'), 0, 16, device?.readerCount ?? 0),
      pushVersion: info.get('PushVersion') ?? info.get('pushver') ?? device?.pushVersion ?? null,
      capabilities: info.get('AccSupportFunList') ?? device?.capabilities ?? null,
      protocol,
    };
    const lastIp = ip?.slice(0, 64) ?? null;
    if (!device) {
      const approved = this.config.PUSH_AUTO_ENROLL;
      if (!approved && (await this.devices.orm.countBy({ approval: 'pending' })) >= MAX_PENDING_DEVICES) {
        this.log.warn(
          { sn, ip, pending: MAX_PENDING_DEVICES },
          'unknown device not recorded: too many pending devices',
        );
        return { refused: true, approval: 'not-recorded' };
      }
      const fresh = this.devices.orm.create({
        sn,
        alias: `${described.model ?? 'Terminal'} ${sn}`.slice(0, 120),
        ...described,
        enrollment: 'auto',
        approval: approved ? 'approved' : 'pending',
        registryCode: approved ? randomCode(10) : null,
        sessionId: approved ? randomBytes(16).toString('hex').toUpperCase() : null,
        online: false,
        lastSeenAt: now,
        lastIp,
        createdAt: now,
        updatedAt: now,
        areaId: approved ? (await this.areas.defaultArea()).id : null,
        options: info.toObject(),
      });
      const inserted = await this.devices.orm
        .createQueryBuilder()
        .insert()
        .values(fresh)
        .orIgnore()
        .returning(['id'])
        .execute();
      created = Array.isArray(inserted.raw) && (inserted.raw as unknown[]).length > 0;
      device = await this.devices.findBySn(sn);
      if (!device) throw new Error(`device ${sn} vanished right after it was registered`);
      if (created && approved) this.log.info({ sn, ip, model: device.model, doors: doorCount }, 'device auto-enrolled');
      if (created && !approved) {
        this.log.warn(
          { sn, ip, model: device.model, firmware: device.firmware },
          'unknown device recorded as pending; it gets nothing until an operator approves it',
        );
      }
    }
    if (device.approval !== 'approved') {
      // Refused until approved: only what it said and when, for the operator who decides.
      if (!created) {
        await this.devices.orm.update(
          { id: device.id },
          { ...(device.approval === 'pending' ? described : {}), lastSeenAt: now, lastIp, updatedAt: now },
        );
      }
      this.unknown.delete(sn);
      this.sessions.delete(sn);
      return { refused: true, approval: device.approval };
    }
    let firstContact = created;
    if (!created) {
      const options = { ...device.options, ...info.toObject() };
      await this.devices.orm.update({ id: device.id }, { ...described, options, lastIp, updatedAt: now });
      if (!device.registryCode) firstContact = await this.claimRegistryCode(device);
      device = (await this.devices.findById(device.id)) ?? device;
      this.log.info({ sn, model: device.model, firstContact }, 'device registered again');
    }
    await this.doors.ensureForDevice(device);
    const cached = this.sessions.get(sn);
    if (cached) {
      device.online = cached.device.online;
      cached.device = device;
    }
    this.unknown.delete(sn);
    await this.seen(device, now);
    await this.commands.failUnanswered(device.id, now);
    this.bus.emit('device.session', { device, kind: 'registered' });
    return { refused: false, device, created, firstContact };
  }

  /**
   * Gives a device that has none its RegistryCode (and session id). Calls of one terminal that
   * race here all end up with the code the first of them stored; only that one is told it is
   * the first contact, so the terminal is synchronised once.
   */
  private async claimRegistryCode(device: DeviceEntity): Promise<boolean> {
    const claimed = await this.devices.orm
      .createQueryBuilder()
      .update()
      .set({
        registryCode: randomCode(10),
        sessionId: device.sessionId ?? randomBytes(16).toString('hex').toUpperCase(),
      })
      .where('id = :id AND registry_code IS NULL', { id: device.id })
      .returning(['id'])
      .execute();
    return Array.isArray(claimed.raw) && (claimed.raw as unknown[]).length > 0;
  }

  /**
   * The device's row changed elsewhere (approved, rejected, renamed): the next request reads it
   * again. A device that is no longer approved is also marked offline, without a Lost Connect
   * event: it did not go silent, it was turned away.
   */
  async reload(device: DeviceEntity): Promise<void> {
    const cached = this.sessions.get(device.sn);
    this.sessions.delete(device.sn);
    this.unknown.delete(device.sn);
    if (device.approval !== 'approved' && (cached?.device.online || device.online)) {
      device.online = false;
      await this.devices.orm.update({ id: device.id }, { online: false });
      this.bus.emit('device.status', { device, online: false, reason: 'rejected' });
    }
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (!s.device.online || s.goingOffline || now - s.lastSeenMs <= this.offlineAfterMs) continue;
      s.goingOffline = true;
      try {
        await this.markOffline(s, new Date(now));
      } catch (err) {
        this.log.error({ err, sn: s.device.sn }, 'marking a device offline failed');
      } finally {
        s.goingOffline = false;
      }
    }
  }

  private async markOffline(s: Session, now: Date): Promise<void> {
    // A poll may have arrived while we waited for the database.
    if (now.getTime() - s.lastSeenMs <= this.offlineAfterMs) return;
    s.device.online = false;
    await this.devices.orm.update({ id: s.device.id }, { online: false });
    this.log.warn({ sn: s.device.sn, silentMs: now.getTime() - s.lastSeenMs }, 'device offline');
    await this.ingest.record(s.device, s.device.sn, {
      source: 'server',
      deviceIndex: null,
      time: now,
      code: LOST_CONNECT_EVENT,
      doorNo: null,
      pin: null,
      cardNo: null,
      verifyType: null,
      inOut: null,
      raw: null,
    });
    this.bus.emit('device.status', { device: s.device, online: false, reason: 'timeout' });
  }
}
