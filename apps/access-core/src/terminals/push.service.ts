import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import type { DeviceApproval, DeviceEntity, DeviceProtocol } from '../domain/device.entity';
import { DeviceRepository, DoorRepository } from '../domain/device.repository';
import type { DoorSensorState } from '../domain/door.entity';
import { DomainEvents } from '../events/domain-events';
import { EventIngestService, type IncomingEvent } from '../events/event-ingest.service';
import { DeviceCommandService } from './device-command.service';
import { DeviceSessionService } from './device-session.service';
import {
  ControlOp,
  INT32_MAX,
  INT32_MIN,
  KeyValues,
  commandLine,
  controlDevice,
  cookieValue,
  encodePushTime,
  normalizeCardNo,
  parseCommaText,
  parseDeviceCmdResults,
  parseDeviceTime,
  parseRtstate,
  parseTabRecord,
  pushToken,
  serverZone,
  splitLines,
} from './push-codec';
import { RejectedLines, RejectedLineService, type UploadSource } from './rejected-line.service';
import { RemoteVerificationService } from './remote-verification.service';
import { SyncService } from './sync.service';

/** One terminal request, already read (body as text). */
export interface PushRequest {
  readonly method: string;
  /** Path below `/iclock/`, lower case, without `.aspx` (e.g. `cdata`). */
  readonly endpoint: string;
  readonly query: KeyValues;
  readonly body: string;
  readonly cookie: string | undefined;
  readonly ip: string | undefined;
}

export interface PushReply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const SECURITY_PUSH_VERSION = '3.1.2';
const ATTENDANCE_PUSH_VERSION = '2.4.1';
const SN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** How long a terminal waits for a remote-verification verdict before we answer TIMEOUT. */
const REMOTE_VERIFY_TIMEOUT_MS = 5_000;

const SENSOR_STATES: readonly DoorSensorState[] = ['none', 'closed', 'open', 'unknown'];
/** Options a device may hold; an upload beyond it is set aside. */
const MAX_OPTIONS = 500;

const NUL = '\u0000';
const NUL_REASON = 'NUL character in the line (no database text can hold it)';

/** `kv` without the pairs holding a NUL, each of which is set aside as `key=value`. */
function withoutNul(kv: KeyValues, rejected: RejectedLines): KeyValues {
  const entries = Object.entries(kv.toObject());
  if (!entries.some(([k, v]) => k.includes(NUL) || v.includes(NUL))) return kv;
  const kept: [string, string][] = [];
  for (const [k, v] of entries) {
    if (k.includes(NUL) || v.includes(NUL)) rejected.add(`${k}=${v}`, NUL_REASON);
    else kept.push([k, v]);
  }
  return new KeyValues(kept);
}

/** Why a device that is not approved gets nothing (the log line and the 406 body say it). */
function refusalOf(approval: DeviceApproval | 'not-recorded'): string {
  switch (approval) {
    case 'pending':
      return 'device awaiting approval by an operator';
    case 'rejected':
      return 'device refused by an operator';
    case 'not-recorded':
      return 'too many devices awaiting approval; not recorded';
    case 'approved':
      return 'device approved';
  }
}

/** A refusal: HTTP status, one log line with the reason, a short text body. */
class PushRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function ok(body = 'OK', headers?: Record<string, string>): PushReply {
  return headers ? { status: 200, body, headers } : { status: 200, body };
}

/**
 * The server side of ZKTeco Security PUSH 3.1.2 (and the Attendance PUSH ATTLOG variant),
 * docs/push-protocol.md §2–§5. Every request gets an answer; garbage is refused with the protocol's
 * status (400 malformed, 401 unknown device / bad token, 406 registry refused, 413 too large)
 * and one log line, and never touches other devices' state.
 */
@Injectable()
export class PushService {
  private readonly log: Logger;
  /** querydata packets per (device, cmdid) until packidx == packcnt. */
  private readonly queryPackets = new Map<string, number>();

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly sessions: DeviceSessionService,
    private readonly commands: DeviceCommandService,
    private readonly ingest: EventIngestService,
    private readonly verification: RemoteVerificationService,
    private readonly sync: SyncService,
    private readonly devices: DeviceRepository,
    private readonly doors: DoorRepository,
    private readonly bus: DomainEvents,
    private readonly rejectedLines: RejectedLineService,
  ) {
    this.log = root.child({ component: 'push' });
  }

  async handle(req: PushRequest): Promise<PushReply> {
    try {
      return await this.route(req);
    } catch (err) {
      if (err instanceof PushRefusal) return this.refuse(req, err.status, err.reason);
      this.log.error({ err, endpoint: req.endpoint, sn: req.query.get('SN') }, 'terminal request failed');
      return { status: 500, body: 'ERROR' };
    }
  }

  /** The answer to a request that was not even read (too large, aborted). */
  refuse(req: Pick<PushRequest, 'endpoint' | 'query' | 'ip' | 'method'>, status: number, reason: string): PushReply {
    this.log.warn(
      { status, reason, endpoint: req.endpoint, method: req.method, sn: req.query.get('SN')?.slice(0, 64), ip: req.ip },
      'terminal request refused',
    );
    return { status, body: status === 401 ? 'UNAUTHORIZED' : `ERROR: ${reason}` };
  }

  private source(req: PushRequest, sn: string, device: DeviceEntity | null, table: string | null): UploadSource {
    return { deviceSn: sn, deviceId: device?.id ?? null, ip: req.ip, endpoint: req.endpoint, table };
  }

  private async route(req: PushRequest): Promise<PushReply> {
    const get = req.method === 'GET';
    const post = req.method === 'POST';
    switch (req.endpoint) {
      case 'cdata':
        if (get) return this.handshake(req);
        if (post) return this.upload(req);
        break;
      case 'registry':
        if (post) return this.registry(req);
        break;
      case 'push':
        if (post || get) return this.pushConfig(req);
        break;
      case 'getrequest':
        if (get) return this.getRequest(req);
        break;
      case 'ping':
        if (get || post) {
          await this.requireDevice(req);
          return ok();
        }
        break;
      case 'devicecmd':
        if (post) return this.deviceCmd(req);
        break;
      case 'querydata':
        if (post) return this.queryData(req);
        break;
      case 'rtdata':
        if (get) return this.rtData(req);
        break;
      default:
        throw new PushRefusal(404, `unknown endpoint /iclock/${req.endpoint.slice(0, 40)}`);
    }
    throw new PushRefusal(405, `${req.method} is not accepted on /iclock/${req.endpoint}`);
  }

  private sn(req: PushRequest): string {
    const sn = req.query.get('SN')?.trim();
    if (!sn) throw new PushRefusal(400, 'missing SN');
    if (!SN_PATTERN.test(sn)) throw new PushRefusal(400, 'malformed SN');
    return sn;
  }

  /** An approved device, token-checked when PUSH_CHECK_TOKEN is on, marked seen. */
  private async requireDevice(req: PushRequest): Promise<DeviceEntity> {
    const sn = this.sn(req);
    const device = await this.sessions.find(sn);
    if (!device) throw new PushRefusal(401, 'unknown device');
    // Nothing for a device nobody approved: no commands, no data, and its uploads are not
    // taken (it keeps them, and sends them once approved).
    if (device.approval !== 'approved') throw new PushRefusal(401, refusalOf(device.approval));
    if (this.config.PUSH_CHECK_TOKEN && device.registryCode && device.sessionId) {
      const token = cookieValue(req.cookie, 'token');
      if (token !== pushToken(device.registryCode, device.sn, device.sessionId)) {
        throw new PushRefusal(401, 'bad or missing token cookie');
      }
    }
    await this.sessions.seen(device);
    return device;
  }

  private protocolOf(req: PushRequest): DeviceProtocol {
    if (req.query.get('DeviceType')?.toLowerCase() === 'acc') return 'acc';
    const major = Number((req.query.get('pushver') ?? '').split('.')[0]);
    return Number.isFinite(major) && major >= 3 ? 'acc' : 'att';
  }

  // -------------------------------------------------------------------------------------------
  // Handshake, registry, configuration (docs/push-protocol.md §2.1–2.3, §4)
  // -------------------------------------------------------------------------------------------

  private async handshake(req: PushRequest): Promise<PushReply> {
    const sn = this.sn(req);
    const protocol = this.protocolOf(req);
    let device = await this.sessions.find(sn);
    if (protocol === 'att') {
      // A provisioned device that never registered (no RegistryCode yet) enrols like a new one;
      // so does one that is not approved, which records its call and refuses it.
      if (!device?.registryCode || device.approval !== 'approved') {
        // Attendance firmware has no registry step: the handshake enrols it.
        const registered = await this.sessions.register(sn, withoutNul(req.query, new RejectedLines()), 'att', req.ip);
        if (registered.refused) throw new PushRefusal(401, refusalOf(registered.approval));
        device = registered.device;
        if (registered.firstContact) this.syncInBackground(device);
      } else {
        device = await this.sessions.handshake(device, 'att');
      }
      return ok(this.attOptions(device));
    }
    if (!device || device.approval !== 'approved') {
      // Registering is how an unknown device asks to be let in (and is recorded for approval).
      this.log.info(
        { sn, ip: req.ip, approval: device?.approval },
        'handshake from a device that is not approved; it may register',
      );
      return ok();
    }
    if (!device.registryCode) {
      // Provisioned in advance but never registered: asking it to register makes it report its
      // doors and capabilities, and registration sends it the people and rights.
      this.log.info({ sn, ip: req.ip }, 'handshake from a provisioned device that has not registered yet');
      return ok();
    }
    device = await this.sessions.handshake(device, 'acc');
    return ok(this.accConfig(device, true));
  }

  private async registry(req: PushRequest): Promise<PushReply> {
    const sn = this.sn(req);
    const rejected = new RejectedLines();
    const info = withoutNul(parseCommaText(req.body), rejected);
    const registered = await this.sessions.register(sn, info, 'acc', req.ip);
    await this.rejectedLines.setAside(
      this.source(req, sn, registered.refused ? null : registered.device, null),
      rejected,
    );
    if (registered.refused) throw new PushRefusal(406, refusalOf(registered.approval));
    const { device, firstContact } = registered;
    if (firstContact) this.syncInBackground(device);
    return ok(`RegistryCode=${device.registryCode ?? ''}`, {
      'Set-Cookie': `JSESSIONID=${device.sessionId ?? ''}; Path=/iclock; HttpOnly`,
    });
  }

  private async pushConfig(req: PushRequest): Promise<PushReply> {
    const device = await this.requireDevice(req);
    return ok(this.accConfig(device, false));
  }

  private accConfig(device: DeviceEntity, withRegistry: boolean): string {
    const lines = [
      ...(withRegistry ? ['registry=ok', `RegistryCode=${device.registryCode ?? ''}`] : []),
      `ServerVersion=${SECURITY_PUSH_VERSION}`,
      'ServerName=Lanbridge',
      `PushProtVer=${SECURITY_PUSH_VERSION}`,
      `PushVersion=${SECURITY_PUSH_VERSION}`,
      `ErrorDelay=${this.config.PUSH_ERROR_DELAY_SEC}`,
      `RequestDelay=${this.config.PUSH_REQUEST_DELAY_SEC}`,
      'TransTimes=00:00;14:00',
      'TransInterval=1',
      'TransTables=User Transaction',
      'Realtime=1',
      `SessionID=${device.sessionId ?? ''}`,
      'TimeoutSec=10',
    ];
    return lines.join('\n') + '\n';
  }

  private attOptions(device: DeviceEntity): string {
    const offset = -new Date().getTimezoneOffset();
    return (
      [
        `GET OPTION FROM: ${device.sn}`,
        'ATTLOGStamp=None',
        'OPERLOGStamp=9999',
        'ATTPHOTOStamp=None',
        `ErrorDelay=${this.config.PUSH_ERROR_DELAY_SEC}`,
        `Delay=${this.config.PUSH_REQUEST_DELAY_SEC}`,
        'TransTimes=00:00;14:05',
        'TransInterval=1',
        'TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser',
        `TimeZone=${offset % 60 === 0 ? offset / 60 : offset}`,
        'Realtime=1',
        'Encrypt=None',
        `ServerVer=${ATTENDANCE_PUSH_VERSION}`,
        `PushProtVer=${ATTENDANCE_PUSH_VERSION}`,
      ].join('\n') + '\n'
    );
  }

  private syncInBackground(device: DeviceEntity): void {
    this.sync.syncDevice(device.id).catch((err: unknown) => {
      this.log.error({ err, sn: device.sn }, 'initial synchronisation of a new device failed');
    });
  }

  // -------------------------------------------------------------------------------------------
  // Steady state (docs/push-protocol.md §2.4, 2.5, 2.7, 2.8)
  // -------------------------------------------------------------------------------------------

  private async getRequest(req: PushRequest): Promise<PushReply> {
    const device = await this.requireDevice(req);
    const taken = await this.commands.takeForDevice(device.id, new Date());
    if (taken.length === 0) return ok();
    return ok(taken.map((c) => commandLine(c.cmdId, c.text)).join('\n') + '\n');
  }

  private async deviceCmd(req: PushRequest): Promise<PushReply> {
    const device = await this.requireDevice(req);
    const { results, badLines } = parseDeviceCmdResults(req.body);
    const id = req.query.get('ID');
    const ret = req.query.intIn('Return', INT32_MIN, INT32_MAX);
    if (id !== undefined && ret !== undefined) results.push({ id, returnCode: ret, cmd: req.query.get('CMD') ?? '' });
    const rejected = new RejectedLines();
    for (const line of badLines) rejected.add(line, 'command result without a valid ID and Return');
    await this.rejectedLines.setAside(this.source(req, device.sn, device, null), rejected);
    await this.commands.applyResults(
      device.id,
      results.map((r) => ({ cmdId: r.id, returnCode: r.returnCode })),
      new Date(),
    );
    return ok();
  }

  private async queryData(req: PushRequest): Promise<PushReply> {
    const device = await this.requireDevice(req);
    const table = req.query.get('tablename')?.trim() || req.query.get('type')?.trim() || '';
    if (!/^[A-Za-z0-9_]{1,40}$/.test(table)) throw new PushRefusal(400, 'querydata without a valid tablename');
    const lines = splitLines(req.body);
    if (req.query.get('type')?.toLowerCase() === 'options') {
      const rejected = new RejectedLines();
      await this.mergeOptions(device, parseCommaText(req.body), rejected, req.body);
      await this.rejectedLines.setAside(this.source(req, device.sn, device, 'options'), rejected);
    }
    const key = `${device.id}:${req.query.get('cmdid') ?? ''}`;
    const packcnt = req.query.int('packcnt') ?? 1;
    const packidx = req.query.int('packidx') ?? 1;
    const soFar = (this.queryPackets.get(key) ?? 0) + lines.length;
    if (packidx >= packcnt) {
      this.queryPackets.delete(key);
      this.log.info({ sn: device.sn, table, rows: soFar, cmdId: req.query.get('cmdid') }, 'query answer received');
    } else {
      if (this.queryPackets.size > 1_000) this.queryPackets.clear();
      this.queryPackets.set(key, soFar);
    }
    return ok(`${table}=${req.query.int('count') ?? lines.length}`);
  }

  private async rtData(req: PushRequest): Promise<PushReply> {
    await this.requireDevice(req);
    if (req.query.get('type')?.toLowerCase() !== 'time') throw new PushRefusal(400, 'rtdata supports type=time only');
    const now = new Date();
    return ok(`DateTime=${encodePushTime(now)},ServerTZ=${serverZone(now)}`);
  }

  // -------------------------------------------------------------------------------------------
  // Uploads (docs/push-protocol.md §2.6, §2.9, §4)
  // -------------------------------------------------------------------------------------------

  private async upload(req: PushRequest): Promise<PushReply> {
    const device = await this.requireDevice(req);
    if (req.query.get('AuthType')?.toLowerCase() === 'device') return this.remoteVerify(device, req);
    const table = req.query.get('table')?.trim() ?? '';
    const rejected = new RejectedLines();
    const aside = (): Promise<void> =>
      this.rejectedLines.setAside(this.source(req, device.sn, device, table), rejected);
    switch (table.toLowerCase()) {
      case 'rtlog':
        await this.rtlog(device, req.body, rejected);
        await aside();
        return ok();
      case 'rtstate':
        await this.rtstate(device, req.body, rejected);
        await aside();
        return ok();
      case 'options':
        await this.mergeOptions(device, parseCommaText(req.body), rejected, req.body);
        await aside();
        return ok();
      case 'tabledata': {
        const name = req.query.get('tablename')?.trim() ?? '';
        if (!/^[A-Za-z0-9_]{1,40}$/.test(name)) throw new PushRefusal(400, 'tabledata without a valid tablename');
        const n = splitLines(req.body).length;
        // The site is the source of people and rights; a terminal's copy of its tables is not.
        this.log.info({ sn: device.sn, table: name, rows: n }, 'terminal table data acknowledged, not stored');
        return ok(`${name}=${n}`);
      }
      case 'attlog': {
        const taken = await this.attlog(device, req.body, rejected);
        await aside();
        return ok(`OK:${taken}`);
      }
      case 'operlog':
      case 'attphoto': {
        // Operation log and photos of attendance firmware: nothing here uses them.
        const n = splitLines(req.body).length;
        this.log.info({ sn: device.sn, table, lines: n }, 'terminal upload acknowledged, not stored');
        return ok(`OK:${n}`);
      }
      case '':
        throw new PushRefusal(400, 'upload without table');
      default:
        throw new PushRefusal(400, `unknown table "${table.slice(0, 40)}"`);
    }
  }

  private async rtlog(device: DeviceEntity, body: string, rejected: RejectedLines): Promise<void> {
    const events: IncomingEvent[] = [];
    const lineOf: string[] = [];
    for (const line of splitLines(body)) {
      if (line.includes(NUL)) {
        rejected.add(line, NUL_REASON);
        continue;
      }
      const kv = parseTabRecord(line);
      // Terminals send small numbers; anything out of these ranges is garbage, never stored as
      // is (it would not fit the columns and would fail the whole upload, which the terminal
      // then re-sends forever).
      const code = kv.intIn('event', 0, INT32_MAX);
      const time = parseDeviceTime(kv.get('time'));
      if (code === undefined || time === null) {
        rejected.add(line, 'no valid event code or time');
        continue;
      }
      const index = kv.int('index');
      const door = kv.intIn('eventaddr', 0, 255);
      events.push({
        source: 'rtlog',
        deviceIndex: index !== undefined && index >= 0 ? String(index) : null,
        time,
        code,
        doorNo: door ?? null,
        pin: kv.get('pin')?.slice(0, 64) ?? null,
        cardNo: normalizeCardNo(kv.get('cardno')),
        verifyType: kv.get('verifytype')?.slice(0, 32) || null,
        inOut: kv.intIn('inoutstatus', 0, 255) ?? null,
        raw: line.slice(0, 2_000),
      });
      lineOf.push(line);
    }
    // The whole upload in one go: a constant number of round trips however many lines it has.
    await this.ingest.recordBatch(device, device.sn, events, (position, reason) =>
      rejected.add(lineOf[position] ?? '', reason),
    );
  }

  private async rtstate(device: DeviceEntity, body: string, rejected: RejectedLines): Promise<void> {
    const lines = splitLines(body);
    const lastLine = lines[lines.length - 1];
    const last = lastLine !== undefined ? parseRtstate(parseTabRecord(lastLine), device.doorCount) : null;
    if (!last) {
      // Only the newest state matters, so only it is worth an operator's look.
      if (lastLine !== undefined) rejected.add(lastLine, 'door state line unreadable');
      return;
    }
    // Only the newest state matters; earlier lines of the batch are history.
    const now = new Date();
    for (const door of await this.doors.byDevice(device.id)) {
      const bits = last[door.doorNo - 1];
      if (!bits) continue;
      const sensorState = SENSOR_STATES[bits.sensor] ?? 'unknown';
      if (door.sensorState === sensorState && door.relayOpen === bits.relayOpen && door.alarmState === bits.alarm)
        continue;
      door.sensorState = sensorState;
      door.relayOpen = bits.relayOpen;
      door.alarmState = bits.alarm;
      door.stateUpdatedAt = now;
      await this.doors.orm.update(
        { id: door.id },
        { sensorState, relayOpen: bits.relayOpen, alarmState: bits.alarm, stateUpdatedAt: now },
      );
      this.bus.emit('door.state', { door, device });
    }
  }

  /** ATTLOG punches (docs/push-protocol.md §4): `PIN\tYYYY-MM-DD hh:mm:ss\tStatus\tVerify\t…`. Returns the lines taken. */
  private async attlog(device: DeviceEntity, body: string, rejected: RejectedLines): Promise<number> {
    const lines = splitLines(body);
    const events: IncomingEvent[] = [];
    const lineOf: string[] = [];
    for (const line of lines) {
      if (line.includes(NUL)) {
        rejected.add(line, NUL_REASON);
        continue;
      }
      const [pin = '', timeText, status, verify] = line.split('\t').map((f) => f.trim());
      const time = parseDeviceTime(timeText);
      if (!pin || time === null) {
        rejected.add(line, 'no personnel id or valid time');
        continue;
      }
      const statusNo = Number(status);
      events.push({
        source: 'attlog',
        // ATTLOG has no record index; a punch is identified by (pin, time). The key is negative
        // so it can never meet a real rtlog index of the same device.
        deviceIndex: attlogKey(pin, time),
        time,
        code: 0,
        doorNo: 1,
        pin: pin.slice(0, 64),
        cardNo: null,
        verifyType: verify?.slice(0, 32) || null,
        inOut: statusNo === 0 || statusNo === 1 ? statusNo : 2,
        raw: line.slice(0, 2_000),
      });
      lineOf.push(line);
    }
    await this.ingest.recordBatch(device, device.sn, events, (position, reason) =>
      rejected.add(lineOf[position] ?? '', reason),
    );
    // The device compares this with the batch size and re-sends on a mismatch, so every line
    // (stored, duplicate or set aside) counts as taken.
    return lines.length;
  }

  private async mergeOptions(
    device: DeviceEntity,
    uploaded: KeyValues,
    rejected: RejectedLines,
    body: string,
  ): Promise<void> {
    const kv = withoutNul(uploaded, rejected);
    if (kv.size === 0) return;
    const options = { ...device.options, ...kv.toObject() };
    if (Object.keys(options).length > MAX_OPTIONS) {
      rejected.add(body, `more than ${MAX_OPTIONS} options`);
      return;
    }
    device.options = options;
    await this.devices.orm.update({ id: device.id }, { options });
  }

  /** docs/push-protocol.md §2.9: `AUTH=SUCCESS|FAILED|TIMEOUT`, the record, and on success a door-open command. */
  private async remoteVerify(device: DeviceEntity, req: PushRequest): Promise<PushReply> {
    const line = splitLines(req.body)[0] ?? '';
    const kv = parseTabRecord(line);
    const doorNo = kv.int('eventaddr') ?? 1;
    const code = (kv.get('cardno') ?? '').trim();
    if (doorNo < 1 || doorNo > device.doorCount) return ok('AUTH=FAILED\r\n');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), REMOTE_VERIFY_TIMEOUT_MS)),
    );
    const outcome = await Promise.race([
      this.verification.verify(code, { deviceSn: device.sn, deviceId: device.id, doorNo }),
      timeout,
    ]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') return ok('AUTH=TIMEOUT\r\n');
    if (!outcome.ok) return ok('AUTH=FAILED\r\n');
    const door = await this.doors.findByDeviceAndNo(device.id, doorNo);
    const record = line
      .split('\t')
      .map((item) => (/^\s*pin\s*=/i.test(item) && outcome.pin ? `pin=${outcome.pin}` : item))
      .join('\t');
    const open = controlDevice(ControlOp.OUTPUT, doorNo, 0x01, door?.driveTimeSec ?? 5);
    return ok(`AUTH=SUCCESS\r\n${record}\r\n${open}\r\n`);
  }
}

/** Negative 48-bit key from (pin, time) for ATTLOG de-duplication. */
function attlogKey(pin: string, time: Date): string {
  let h = 0x811c9dc5;
  let l = 0x01000193;
  const text = `${pin}\u0000${time.getTime()}`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
    l = Math.imul(l ^ c, 0x5bd1e995) >>> 0;
  }
  return String(-((h & 0xffff) * 2 ** 32 + l + 1));
}
