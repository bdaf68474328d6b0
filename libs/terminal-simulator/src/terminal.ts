/**
 * A simulated ZKTeco-style access terminal speaking Security PUSH 3.1.2 (`DeviceType=acc`,
 * tables `rtlog`/`rtstate`) or Attendance PUSH 2.4.x (`ATTLOG`) to a server over real HTTP.
 * The terminal is the HTTP client; the server (access-core, or a test fixture) only answers.
 *
 * Lifecycle (docs/push-protocol.md §2, §10.1), states in {@link TerminalState}:
 *
 * ```
 * stopped ──start()──▶ handshaking ── GET /iclock/cdata?options=all
 *                        │  body "OK" (unknown device, acc mode)
 *                        ▼
 *                      registering ── POST /iclock/registry (capabilities) → RegistryCode
 *                        ▼
 *                      configuring ── POST /iclock/push (token cookie) → SessionID, RequestDelay…
 *                        ▼                 (falls back to a second handshake if push is refused)
 *                      online ── every RequestDelay: GET /iclock/getrequest → run commands →
 *                        │        POST /iclock/devicecmd (one batch per poll); uploads queued
 *                        │        events (POST /iclock/cdata?table=rtlog|rtstate|ATTLOG)
 *                        │ network error / non-200          ▲
 *                        ▼                                  │ handshake again after ErrorDelay
 *                      offline ─────────────────────────────┘ (events keep queueing meanwhile)
 * ```
 * A 401 on any request sends the terminal back to `handshaking`. `restart()` is a power cycle:
 * relays drop, passage mode and remote lock are lost (the server must re-apply them), tables,
 * the queue and the event index survive unless `factoryReset`.
 *
 * Dynamic and visitor QR codes: the terminal cannot judge them, so `verifyQr()` asks the
 * server by remote verification (docs/push-protocol.md §2.9, `POST /iclock/cdata?AuthType=device`) and obeys
 * `AUTH=SUCCESS|FAILED|TIMEOUT`. This is how a server accepts a dynamic QR only while it is
 * valid (and a visitor QR only once): the decision and the clock are the server's.
 */
import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '@lanbridge/logging';
import { decideAccess, type Credential } from './access-decision';
import {
  ControlOperation,
  type KeyValueRecord,
  SensorBits,
  AlarmBits,
  accSupportFunList,
  commandResultName,
  decodePushTime,
  encodePushTime,
  formatAttlog,
  formatCommaRecord,
  formatDeviceCmdResult,
  formatPushDateTime,
  formatRtlog,
  formatRtstate,
  formatTabRecord,
  isOkReply,
  normalizeCardNo,
  parseAttlogAck,
  parseAuthReply,
  parseCommandReply,
  parseKeyValueText,
  parseZoneOffset,
  partsFromUtcDate,
  pushToken,
  utcDateFromParts,
  type CommandLine,
  type ControlDeviceArgs,
  type DeviceCmdResult,
  type PushCommand,
  type PushTimeParts,
} from './push-codec';
import { PushHttpClient, type PushHttpResponse } from './push-http';
import { TerminalError, TerminalErrorCode } from './terminal-errors';
import { TableOpError, TerminalTables } from './terminal-tables';

/** `acc`: Security PUSH 3.1.2 (rtlog/rtstate). `att`: Attendance PUSH 2.4.x (ATTLOG). */
export type TerminalMode = 'acc' | 'att';

/** Named connection states (see the diagram above). */
export type TerminalState = 'stopped' | 'handshaking' | 'registering' | 'configuring' | 'online' | 'offline';

/** Logger the terminal writes to (pino; one child per terminal bound to its SN). */
export type TerminalLogger = Logger;

export interface SimulatedTerminalOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8090`. */
  readonly serverUrl: string;
  /** Serial number (`SN=`); the server's key for the device. */
  readonly sn: string;
  /** `~DeviceName` in the registry body. Default `F20/M` (acc) or `SpeedFace-V5L` (att). */
  readonly deviceName?: string;
  /** `FirmVer`. Default `ZAM180-NF-Ver1.0.0-LBSIM`. */
  readonly firmware?: string;
  /** Doors (= lock relays), 1–4. Default 1. */
  readonly doorCount?: number;
  /** `MachineType`: 101 integrated terminal (default), 1/2/4 C3, 8/9/10 inBio… */
  readonly machineType?: number;
  /** Protocol variant. Default `acc`. */
  readonly mode?: TerminalMode;
  /** Poll interval override (ms). Default: the server's `RequestDelay` (acc) / `Delay` (att), in s. */
  readonly requestDelayMs?: number;
  /** Retry delay after a failure (ms). Default: the server's `ErrorDelay` (s), else 30 s. */
  readonly errorDelayMs?: number;
  /** Per-request timeout (ms). Default: the server's `TimeoutSec`, else 10 s. */
  readonly requestTimeoutMs?: number;
  /** Default relay pulse for a granted verification / exit button, seconds. Default 5. */
  readonly driveTimeSec?: number;
  /** Door-open time before event 28 "Open Door Timeout", seconds; 0 disables. Default 15. */
  readonly detectorTimeSec?: number;
  /** Bound of the upload queue; the oldest records are dropped past it. Default 10 000. */
  readonly maxQueue?: number;
  /** Lines per upload POST. Default 100. */
  readonly uploadBatchSize?: number;
  /** Device zone, minutes east of UTC, until the server sets the time. Default: the host's. */
  readonly utcOffsetMinutes?: number;
  /** Fetch the time with `GET /iclock/rtdata?type=time` when coming online. Default true. */
  readonly syncTime?: boolean;
  /** First `index` for rtlog records. Default 1. */
  readonly initialIndex?: number;
  /** Event code logged when remote verification succeeds: 0 (default) or 222. */
  readonly remoteVerifySuccessEvent?: 0 | 222;
  /** Wall clock source (tests). Default `() => new Date()`. */
  readonly clock?: () => Date;
  /** Logger; default silent. */
  readonly logger?: TerminalLogger;
}

/** One event raised by the terminal (an `rtlog` record, or an ATTLOG punch in att mode). */
export interface TerminalEvent {
  /** Monotonic device record id. */
  readonly index: number;
  /** Event code (docs/push-protocol.md §7). */
  readonly code: number;
  /** `YYYY-MM-DD hh:mm:ss`, terminal wall clock. */
  readonly time: string;
  /** PUSH-encoded time. */
  readonly timeSecond: number;
  /** Door (0 = device-level). */
  readonly door: number;
  /** Person id, `0` when unknown. */
  readonly pin: string;
  /** Card number or QR text, `0` when none. */
  readonly cardno: string;
  /** Verify mode (4 card, 15 face, 200 other). */
  readonly verifyType: number;
  /** 0 in, 1 out, 2 none. */
  readonly inOutStatus: number;
  /** Queued for upload (always in acc mode; only granted verifications in att mode). */
  readonly queued: boolean;
}

/** Snapshot of one door. */
export interface DoorSnapshot {
  readonly door: number;
  /** Lock relay energised (door unlocked). */
  readonly relayOpen: boolean;
  /** Door contact reports open. */
  readonly sensorOpen: boolean;
  /** Alarm byte, see AlarmBits. */
  readonly alarm: number;
  /** Normal-open (passage mode) for today. */
  readonly passageMode: boolean;
  /** Remote lock (`CONTROL DEVICE 06`): credentials give event 63. */
  readonly lockedDown: boolean;
  readonly driveTimeSec: number;
  readonly detectorTimeSec: number;
}

/** Outcome of one server command. */
export interface CommandOutcome {
  readonly id: string;
  readonly text: string;
  readonly command: PushCommand;
  readonly returnCode: number;
  /** Same ID seen before: not executed again, the first result re-sent. */
  readonly duplicate: boolean;
}

/** Events emitted by {@link SimulatedTerminal}. `error` is only emitted when someone listens. */
export interface SimulatedTerminalEvents {
  /** Connection state changed. */
  state: [state: TerminalState];
  /** `POST /iclock/registry` succeeded. */
  registered: [info: { registryCode: string; sessionId: string | undefined }];
  /** A server command was executed (or recognised as a duplicate). */
  command: [outcome: CommandOutcome];
  /** An event was raised (before upload). */
  event: [event: TerminalEvent];
  /** A batch was accepted by the server. */
  uploaded: [batch: { table: UploadTable; lines: readonly string[] }];
  /** The server answered a request (any status), e.g. to count 5xx answers. */
  response: [response: { method: 'GET' | 'POST'; path: string; status: number }];
  /** A door's state changed. */
  door: [door: DoorSnapshot];
  /** Something failed; the terminal keeps going (retries). */
  error: [error: TerminalError];
}

type UploadTable = 'rtlog' | 'rtstate' | 'ATTLOG';

interface QueuedLine {
  readonly seq: number;
  readonly table: UploadTable;
  readonly line: string;
}

interface DoorRuntime {
  readonly door: number;
  relayOpen: boolean;
  sensorOpen: boolean;
  alarm: number;
  passageMode: boolean;
  lockedDown: boolean;
  driveTimeSec: number;
  detectorTimeSec: number;
  relayTimer: NodeJS.Timeout | undefined;
  heldTimer: NodeJS.Timeout | undefined;
}

/** Event codes the terminal raises itself (docs/push-protocol.md §7). */
export const TerminalEventCode = {
  NORMAL_OPEN: 0,
  CANCEL_ALARM: 7,
  REMOTE_OPEN: 8,
  REMOTE_CLOSE: 9,
  DISABLE_NORMAL_OPEN: 10,
  AUX_OPEN: 12,
  AUX_CLOSE: 13,
  OPEN_TIMEOUT: 28,
  BACKGROUND_VERIFY_FAILED: 44,
  BACKGROUND_VERIFY_TIMEOUT: 45,
  DOOR_LOCKED: 63,
  TAMPER: 100,
  FORCED_OPEN: 102,
  DOOR_OPENED: 200,
  DOOR_CLOSED: 201,
  EXIT_BUTTON: 202,
  REMOTE_NORMAL_OPEN: 205,
  BACKGROUND_VERIFY_OK: 222,
  EMERGENCY_DUAL_OPEN: 227,
  EMERGENCY_DUAL_CLOSE: 228,
  REMOTE_LOCK: 233,
  REMOTE_UNLOCK: 234,
} as const;

/** Verify modes used by the simulator (docs/push-protocol.md §7). */
export const VerifyType = { CARD: 4, FACE: 15, OTHER: 200 } as const;

/** Return codes used by the simulator (docs/push-protocol.md §3.3). */
const RC = {
  OK: 0,
  PARSE_FAILURE: -10,
  BAD_PARAMETER: -11,
  EXEC_ERROR: -12,
  NO_SUCH_COMMAND: -13,
  NOT_SUPPORTED: -708,
  ATT_BAD_PARAMETER: -1,
  ATT_NOT_SUPPORTED: -1002,
} as const;

const SECURITY_PUSH_VERSION = '3.1.2';
const ATTENDANCE_PUSH_VERSION = '2.4.1';
const DEDUP_WINDOW = 1000;
const QUERY_PACKET_LINES = 100;

function hostOffsetMinutes(): number {
  return -new Date().getTimezoneOffset();
}

function verifyConfig(o: SimulatedTerminalOptions): void {
  const bad: string[] = [];
  try {
    if (new URL(o.serverUrl).protocol !== 'http:') bad.push('serverUrl must be http://');
  } catch {
    bad.push(`serverUrl "${o.serverUrl}" is not a URL`);
  }
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(o.sn)) bad.push('sn must be 1–32 letters, digits, _ or -');
  const doors = o.doorCount ?? 1;
  if (!Number.isInteger(doors) || doors < 1 || doors > 4) bad.push('doorCount must be 1–4');
  for (const k of ['requestDelayMs', 'errorDelayMs', 'requestTimeoutMs', 'maxQueue', 'uploadBatchSize'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) bad.push(`${k} must be > 0`);
  }
  const drive = o.driveTimeSec;
  if (drive !== undefined && (!Number.isInteger(drive) || drive < 1 || drive > 254)) bad.push('driveTimeSec 1–254');
  if (bad.length) throw new TerminalError(TerminalErrorCode.BAD_OPTIONS, `bad terminal options: ${bad.join('; ')}`);
}

export class SimulatedTerminal extends EventEmitter<SimulatedTerminalEvents> {
  /** The terminal's data tables (user, userauthorize, timezone, holiday, transaction). */
  readonly tables: TerminalTables;
  readonly sn: string;
  readonly mode: TerminalMode;
  readonly doorCount: number;

  private readonly opts: SimulatedTerminalOptions;
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly doors: DoorRuntime[];
  private readonly options = new Map<string, string>();

  private stateValue: TerminalState = 'stopped';
  private generation = 0;
  private http: PushHttpClient | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  private registryCode: string | undefined;
  private sessionId: string | undefined;
  private serverRequestDelayMs = 10_000;
  private serverErrorDelayMs = 30_000;
  private serverTimeoutMs = 10_000;
  private attlogStamp = 0;
  private wallOffsetMs: number;

  private nextIndex: number;
  private nextSeq = 1;
  private readonly queue: QueuedLine[] = [];
  private overflowReported = false;
  private lastErrorCode: TerminalErrorCode | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private pendingResults: DeviceCmdResult[] = [];
  private readonly doneCommands = new Map<string, number>();

  constructor(options: SimulatedTerminalOptions) {
    super();
    verifyConfig(options);
    this.opts = options;
    this.sn = options.sn;
    this.mode = options.mode ?? 'acc';
    this.doorCount = options.doorCount ?? 1;
    this.clock = options.clock ?? (() => new Date());
    this.log = (options.logger ?? createLogger('terminal-simulator', { level: 'silent' })).child({ sn: options.sn });
    this.tables = new TerminalTables();
    this.nextIndex = options.initialIndex ?? 1;
    this.wallOffsetMs = (options.utcOffsetMinutes ?? hostOffsetMinutes()) * 60_000;
    this.doors = Array.from({ length: this.doorCount }, (_, i) => ({
      door: i + 1,
      relayOpen: false,
      sensorOpen: false,
      alarm: 0,
      passageMode: false,
      lockedDown: false,
      driveTimeSec: options.driveTimeSec ?? 5,
      detectorTimeSec: options.detectorTimeSec ?? 15,
      relayTimer: undefined,
      heldTimer: undefined,
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  get state(): TerminalState {
    return this.stateValue;
  }

  /** True while the terminal has a working session with the server. */
  get online(): boolean {
    return this.stateValue === 'online';
  }

  /** True between start() and stop() (powered on), whether or not the server answers. */
  get running(): boolean {
    return this.stateValue !== 'stopped';
  }

  /** The RegistryCode the server issued (kept across restarts unless factory reset). */
  get registration(): { registryCode: string | undefined; sessionId: string | undefined } {
    return { registryCode: this.registryCode, sessionId: this.sessionId };
  }

  /** Records waiting for upload. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /** Powers the terminal on; resolves at once (use {@link waitOnline} to wait for the server). */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    const gen = ++this.generation;
    this.http = new PushHttpClient({
      serverUrl: this.opts.serverUrl,
      timeoutMs: this.opts.requestTimeoutMs ?? this.serverTimeoutMs,
      maxReplyBytes: 1024 * 1024,
      userAgent: 'iClock Proxy/1.09',
    });
    for (const d of this.doors) {
      d.relayOpen = false;
      d.passageMode = false;
      d.lockedDown = false;
      d.alarm = 0;
    }
    this.setState('handshaking');
    this.loop = this.run(gen);
    return Promise.resolve();
  }

  /** Powers the terminal off: aborts requests, stops timers; queued events are kept. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.generation++;
    this.setState('stopped');
    for (const d of this.doors) this.clearDoorTimers(d);
    this.wake?.();
    this.http?.close();
    this.http = undefined;
    await this.loop;
    await this.flushChain;
    this.loop = undefined;
  }

  /**
   * Power cycle: stop, then start. With `factoryReset`, tables, queue, index and registration
   * are wiped first, so the terminal registers again as a new device.
   */
  async restart(opts: { factoryReset?: boolean } = {}): Promise<void> {
    await this.stop();
    if (opts.factoryReset) {
      this.tables.clear();
      this.queue.length = 0;
      this.pendingResults = [];
      this.doneCommands.clear();
      this.registryCode = undefined;
      this.sessionId = undefined;
      this.nextIndex = this.opts.initialIndex ?? 1;
      this.options.clear();
    }
    await this.start();
  }

  /** Resolves when the terminal is online; rejects after `timeoutMs`. */
  waitOnline(timeoutMs = 10_000): Promise<void> {
    if (this.online) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onState = (s: TerminalState): void => {
        if (s !== 'online') return;
        clearTimeout(timer);
        this.off('state', onState);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('state', onState);
        reject(new TerminalError(TerminalErrorCode.TIMEOUT, `${this.sn} not online after ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('state', onState);
    });
  }

  /** Polls `getrequest` now instead of waiting for the next RequestDelay tick. */
  pollNow(): void {
    this.wake?.();
  }

  /** Snapshot of a door (1-based). */
  door(door: number): DoorSnapshot {
    return this.snapshot(this.doorRuntime(door));
  }

  /** The terminal's wall-clock time. */
  now(): PushTimeParts {
    return partsFromUtcDate(new Date(this.clock().getTime() + this.wallOffsetMs));
  }

  /** A device option (`SET OPTIONS` keys, case-insensitive). */
  option(key: string): string | undefined {
    return this.options.get(key.toLowerCase());
  }

  private setState(s: TerminalState): void {
    if (this.stateValue === s) return;
    this.stateValue = s;
    if (s === 'online') this.lastErrorCode = undefined;
    this.log.info({ state: s }, 'terminal state');
    this.emit('state', s);
  }

  private isCurrent(gen: number): boolean {
    return this.generation === gen && this.running;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private requestDelay(): number {
    return this.opts.requestDelayMs ?? this.serverRequestDelayMs;
  }

  private errorDelay(): number {
    return this.opts.errorDelayMs ?? this.serverErrorDelayMs;
  }

  private report(err: unknown): void {
    const e =
      err instanceof TerminalError
        ? err
        : new TerminalError(TerminalErrorCode.BAD_REPLY, err instanceof Error ? err.message : String(err), {
            cause: err,
          });
    // The same failure every ErrorDelay (server down for hours) is logged once at warn.
    if (e.code === this.lastErrorCode) this.log.debug({ code: e.code, err: e.message }, 'terminal error (repeated)');
    else this.log.warn({ code: e.code, err: e.message }, 'terminal error');
    this.lastErrorCode = e.code;
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private async run(gen: number): Promise<void> {
    while (this.isCurrent(gen)) {
      try {
        if (this.stateValue !== 'online') {
          await this.connect(gen);
          continue;
        }
        await this.pollOnce(gen);
        if (!this.isCurrent(gen)) break;
        await this.sleep(this.requestDelay());
      } catch (err) {
        if (!this.isCurrent(gen)) break;
        this.report(err);
        const reauth = err instanceof HttpStatusError && err.status === 401;
        this.setState(reauth ? 'handshaking' : 'offline');
        await this.sleep(this.errorDelay());
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTTP helpers
  // -------------------------------------------------------------------------------------------

  private cookie(): string | undefined {
    if (!this.registryCode || !this.sessionId) return undefined;
    return `token=${pushToken(this.registryCode, this.sn, this.sessionId)}`;
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    query: ReadonlyArray<readonly [string, string]>,
    body?: string,
  ): Promise<PushHttpResponse> {
    const http = this.http;
    if (!http) throw new TerminalError(TerminalErrorCode.NOT_RUNNING, `${this.sn} is stopped`);
    const res = await http.request(method, path, [['SN', this.sn], ...query], body, this.cookie());
    this.log.debug({ method, path, status: res.status }, 'push request');
    this.emit('response', { method, path, status: res.status });
    return res;
  }

  private async sendOk(
    method: 'GET' | 'POST',
    path: string,
    query: ReadonlyArray<readonly [string, string]>,
    body?: string,
  ): Promise<PushHttpResponse> {
    const res = await this.send(method, path, query, body);
    if (res.status !== 200) throw new HttpStatusError(res.status, `${method} ${path} answered HTTP ${res.status}`);
    return res;
  }

  // -------------------------------------------------------------------------------------------
  // Connect: handshake → registry → push config → time
  // -------------------------------------------------------------------------------------------

  private async connect(gen: number): Promise<void> {
    // While offline the state stays `offline` until a handshake succeeds (no flapping).
    if (this.stateValue !== 'offline') this.setState('handshaking');
    if (this.mode === 'att') {
      const res = await this.sendOk('GET', '/iclock/cdata', [
        ['options', 'all'],
        ['pushver', ATTENDANCE_PUSH_VERSION],
        ['language', '69'],
      ]);
      this.applyAttConfig(parseKeyValueText(res.body));
    } else {
      const first = await this.handshake();
      if (!first) {
        this.setState('registering');
        await this.register();
        if (!this.isCurrent(gen)) return;
        this.setState('configuring');
        const push = await this.send('POST', '/iclock/push', []);
        const cfg = push.status === 200 ? parseKeyValueText(push.body) : undefined;
        if (cfg && (cfg.has('RequestDelay') || cfg.has('SessionID'))) {
          this.applyAccConfig(cfg);
        } else {
          const again = await this.handshake();
          if (!again) {
            throw new TerminalError(
              TerminalErrorCode.BAD_REPLY,
              'server still treats the device as unknown after registry',
            );
          }
        }
      }
    }
    if (!this.isCurrent(gen)) return;
    if (this.opts.syncTime ?? true) await this.syncTime();
    if (!this.isCurrent(gen)) return;
    this.setState('online');
    if (this.mode === 'acc') this.queueRtstate();
    void this.flush();
  }

  /** Handshake (acc). True when the server knows the device (registry block applied). */
  private async handshake(): Promise<boolean> {
    const res = await this.sendOk('GET', '/iclock/cdata', [
      ['options', 'all'],
      ['pushver', SECURITY_PUSH_VERSION],
      ['DeviceType', 'acc'],
    ]);
    const kv = parseKeyValueText(res.body);
    const known = kv.get('registry')?.toLowerCase() === 'ok' || kv.has('RegistryCode');
    if (!known) return false;
    this.applyAccConfig(kv);
    return true;
  }

  private registryBody(): string {
    const doors = this.doorCount;
    return formatCommaRecord([
      ['DeviceType', 'acc'],
      ['~DeviceName', this.opts.deviceName ?? 'F20/M'],
      ['FirmVer', this.opts.firmware ?? 'ZAM180-NF-Ver1.0.0-LBSIM'],
      ['PushVersion', SECURITY_PUSH_VERSION],
      ['CommType', 'ethernet'],
      ['LockCount', doors],
      ['ReaderCount', doors * 2],
      ['AuxInCount', 0],
      ['AuxOutCount', 0],
      ['MachineType', this.opts.machineType ?? 101],
      ['~IsOnlyRFMachine', 0],
      ['~MaxUserCount', 10000],
      ['~MaxAttLogCount', 100000],
      ['VerifyStyles', 'ff7f0000'],
      // Bit 2: door lock (CONTROL DEVICE 06); bit 3: emergency dual-open/close (07).
      ['AccSupportFunList', accSupportFunList([2, 3])],
      ['MaxLockCount', 4],
    ]);
  }

  private async register(): Promise<void> {
    const res = await this.send('POST', '/iclock/registry', [], this.registryBody());
    if (res.status === 406) {
      throw new TerminalError(TerminalErrorCode.REGISTRY_REFUSED, 'registry refused (HTTP 406)');
    }
    if (res.status !== 200) throw new HttpStatusError(res.status, `registry answered HTTP ${res.status}`);
    const code = parseKeyValueText(res.body).get('RegistryCode')?.trim();
    if (!code) throw new TerminalError(TerminalErrorCode.REGISTRY_REFUSED, 'registry reply without RegistryCode');
    this.registryCode = code;
    const setCookie = res.headers['set-cookie'] ?? [];
    const jsession = setCookie
      .map((c) => /(?:^|;\s*)JSESSIONID=([^;]+)/i.exec(c)?.[1])
      .find((v): v is string => v !== undefined);
    if (jsession) this.sessionId = jsession;
    this.log.info({ registered: true }, 'registered with server');
    this.emit('registered', { registryCode: code, sessionId: this.sessionId });
  }

  private applyAccConfig(kv: KeyValueRecord): void {
    const code = kv.get('RegistryCode')?.trim();
    if (code) this.registryCode = code;
    const session = kv.get('SessionID')?.trim();
    if (session) this.sessionId = session;
    this.applyDelays(kv.getInt('RequestDelay'), kv.getInt('ErrorDelay'), kv.getInt('TimeoutSec'));
  }

  private applyAttConfig(kv: KeyValueRecord): void {
    this.applyDelays(kv.getInt('Delay'), kv.getInt('ErrorDelay'), undefined);
    const stamp = kv.get('ATTLOGStamp');
    if (stamp && /^\d+$/.test(stamp)) this.attlogStamp = Number(stamp);
    const tz = kv.get('TimeZone');
    const offset = tz === undefined ? null : parseZoneOffset(tz);
    if (offset !== null) this.wallOffsetMs = offset * 60_000;
  }

  private applyDelays(request: number | undefined, error: number | undefined, timeout: number | undefined): void {
    if (request !== undefined && request > 0) this.serverRequestDelayMs = request * 1000;
    if (error !== undefined && error > 0) this.serverErrorDelayMs = error * 1000;
    if (timeout !== undefined && timeout > 0) this.serverTimeoutMs = timeout * 1000;
  }

  /** `GET /iclock/rtdata?type=time` → `DateTime=583050990,ServerTZ=+0800`. Failure is logged, not fatal. */
  private async syncTime(): Promise<void> {
    const res = await this.send('GET', '/iclock/rtdata', [['type', 'time']]);
    if (res.status === 401) throw new HttpStatusError(401, 'rtdata answered HTTP 401');
    const kv = parseKeyValueText(res.body);
    const dt = kv.getInt('DateTime');
    if (res.status !== 200 || dt === undefined || !this.setWallClock(dt)) {
      this.log.warn({ status: res.status }, 'time sync skipped: no usable DateTime');
    }
  }

  /** Sets the terminal wall clock from a PUSH-encoded time; false when the value is invalid. */
  private setWallClock(encoded: number): boolean {
    const parts = decodePushTime(encoded);
    if (!parts) return false;
    this.wallOffsetMs = utcDateFromParts(parts).getTime() - this.clock().getTime();
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Steady state: getrequest → commands → devicecmd
  // -------------------------------------------------------------------------------------------

  private async pollOnce(gen: number): Promise<void> {
    const res = await this.sendOk('GET', '/iclock/getrequest', []);
    const { commands, ignoredLines } = parseCommandReply(res.body);
    if (ignoredLines.length) this.log.warn({ ignoredLines }, 'getrequest lines ignored');
    let restart = false;
    for (const line of commands) {
      if (!this.isCurrent(gen)) return;
      const outcome = await this.execute(line);
      this.pendingResults.push({
        id: line.id,
        returnCode: outcome.returnCode,
        cmd: commandResultName(line.command),
      });
      this.emit('command', outcome);
      if (!outcome.duplicate && outcome.returnCode >= 0 && isRestart(line.command)) restart = true;
    }
    if (this.pendingResults.length > 0) await this.postResults();
    if (restart) {
      // Outside the loop: restart() waits for this loop to finish.
      setTimeout(() => {
        this.restart().catch((err: unknown) => this.report(err));
      }, 0);
      return;
    }
    if (this.queue.length > 0) await this.flush();
  }

  private async postResults(): Promise<void> {
    const batch = this.pendingResults;
    const res = await this.send('POST', '/iclock/devicecmd', [], batch.map(formatDeviceCmdResult).join('\n') + '\n');
    if (res.status === 200) {
      this.pendingResults = this.pendingResults.filter((r) => !batch.includes(r));
    } else {
      throw new HttpStatusError(res.status, `devicecmd answered HTTP ${res.status}`);
    }
  }

  private async execute(line: CommandLine): Promise<CommandOutcome> {
    const seen = this.doneCommands.get(line.id);
    if (seen !== undefined) {
      return { id: line.id, text: line.text, command: line.command, returnCode: seen, duplicate: true };
    }
    let returnCode: number;
    try {
      returnCode = await this.apply(line.id, line.command);
    } catch (err) {
      if (err instanceof TableOpError) {
        returnCode =
          this.mode === 'att'
            ? err.returnCode === -629
              ? RC.ATT_NOT_SUPPORTED
              : RC.ATT_BAD_PARAMETER
            : err.returnCode;
      } else if (err instanceof TerminalError && err.code === TerminalErrorCode.BAD_DOOR) {
        returnCode = this.mode === 'att' ? RC.ATT_BAD_PARAMETER : RC.BAD_PARAMETER;
      } else {
        this.report(err);
        returnCode = this.mode === 'att' ? RC.ATT_BAD_PARAMETER : RC.EXEC_ERROR;
      }
    }
    this.log.info({ cmdId: line.id, cmd: commandResultName(line.command), returnCode }, 'command executed');
    this.doneCommands.set(line.id, returnCode);
    if (this.doneCommands.size > DEDUP_WINDOW) this.doneCommands.delete(this.doneCommands.keys().next().value!);
    return { id: line.id, text: line.text, command: line.command, returnCode, duplicate: false };
  }

  /** Runs one command; returns its `Return=` code. */
  private async apply(id: string, cmd: PushCommand): Promise<number> {
    const att = this.mode === 'att';
    switch (cmd.kind) {
      case 'control-device':
        return this.control(cmd.args);
      case 'data-update':
        for (const r of cmd.records) this.tables.update(cmd.table, r);
        return RC.OK;
      case 'data-delete': {
        let n = 0;
        for (const c of cmd.conditions) n += this.tables.delete(cmd.table, c);
        this.log.debug({ table: cmd.table, deleted: n }, 'rows deleted');
        return RC.OK;
      }
      case 'data-count': {
        const n = this.tables.count(cmd.table);
        if (!att) {
          await this.sendOk(
            'POST',
            '/iclock/querydata',
            [
              ['type', 'count'],
              ['cmdid', id],
              ['tablename', cmd.table],
              ['count', String(n)],
            ],
            `${cmd.table}=${n}\n`,
          );
        }
        return n;
      }
      case 'data-query': {
        if (att) return RC.ATT_NOT_SUPPORTED;
        const lines = this.tables.query(cmd.table, cmd.filter);
        const packs = Math.max(1, Math.ceil(lines.length / QUERY_PACKET_LINES));
        for (let p = 0; p < packs; p++) {
          const chunk = lines.slice(p * QUERY_PACKET_LINES, (p + 1) * QUERY_PACKET_LINES);
          await this.sendOk(
            'POST',
            '/iclock/querydata',
            [
              ['type', 'tabledata'],
              ['cmdid', id],
              ['tablename', cmd.table],
              ['count', String(lines.length)],
              ['packcnt', String(packs)],
              ['packidx', String(p + 1)],
            ],
            chunk.length ? chunk.join('\n') + '\n' : '',
          );
        }
        return lines.length;
      }
      case 'set-options':
        return this.setOptions(cmd.options);
      case 'get-options': {
        if (att) return RC.ATT_NOT_SUPPORTED;
        const body = formatCommaRecord(cmd.names.map((n) => [n, this.readOption(n)] as const));
        await this.sendOk(
          'POST',
          '/iclock/querydata',
          [
            ['type', 'options'],
            ['cmdid', id],
          ],
          body + '\n',
        );
        return RC.OK;
      }
      case 'ac-unlock':
        this.pulseRelay(this.doorRuntime(1), this.doorRuntime(1).driveTimeSec);
        if (!att) this.raise({ code: TerminalEventCode.REMOTE_OPEN, door: 1 });
        return RC.OK;
      case 'ac-unalarm':
        this.cancelAlarm(this.doors);
        return RC.OK;
      case 'reboot':
        return RC.OK;
      case 'clear-log':
        this.tables.clearTransactions();
        return RC.OK;
      case 'noop':
        return RC.OK;
      case 'unknown':
        return att ? RC.ATT_NOT_SUPPORTED : RC.NO_SUCH_COMMAND;
      case 'malformed':
        this.log.warn({ reason: cmd.reason }, 'malformed command');
        return att ? RC.ATT_BAD_PARAMETER : RC.PARSE_FAILURE;
    }
  }

  private readOption(name: string): string {
    const builtin: Record<string, string | number> = {
      devicename: this.opts.deviceName ?? 'F20/M',
      firmver: this.opts.firmware ?? 'ZAM180-NF-Ver1.0.0-LBSIM',
      lockcount: this.doorCount,
      machinetype: this.opts.machineType ?? 101,
      serialnumber: this.sn,
      datetime: encodePushTime(this.now()),
    };
    const n = name.toLowerCase();
    const door = /^door(\d)(drivertime|detectortime)$/.exec(n);
    if (door) {
      const d = this.doors[Number(door[1]) - 1];
      if (d) return String(door[2] === 'drivertime' ? d.driveTimeSec : d.detectorTimeSec);
    }
    return String(this.options.get(n) ?? builtin[n] ?? '');
  }

  /** `SET OPTIONS`: DateTime sets the clock; DoorNDrivertime / DoorNDetectortime set door timing. */
  private setOptions(kv: KeyValueRecord): number {
    for (const [key, value] of kv.entries()) {
      const k = key.toLowerCase();
      const door = /^door(\d)(drivertime|detectortime)$/.exec(k);
      if (k === 'datetime') {
        const v = kv.getInt(key);
        if (v === undefined || !this.setWallClock(v))
          return this.mode === 'att' ? RC.ATT_BAD_PARAMETER : RC.BAD_PARAMETER;
      } else if (door) {
        const d = this.doors[Number(door[1]) - 1];
        const v = kv.getInt(key);
        if (!d || v === undefined || v < 0 || v > 255)
          return this.mode === 'att' ? RC.ATT_BAD_PARAMETER : RC.BAD_PARAMETER;
        if (door[2] === 'drivertime') d.driveTimeSec = v;
        else d.detectorTimeSec = v;
      }
      this.options.set(k, value);
    }
    return RC.OK;
  }

  private targets(target: number): DoorRuntime[] {
    if (target === 0) return this.doors;
    return [this.doorRuntime(target)];
  }

  /** `CONTROL DEVICE AABBCCDD` (docs/push-protocol.md §3.1). */
  private control(a: ControlDeviceArgs): number {
    switch (a.operation) {
      case ControlOperation.OUTPUT: {
        if (a.param1 === 0x02) {
          this.raise({
            code: a.param2 === 0 ? TerminalEventCode.AUX_CLOSE : TerminalEventCode.AUX_OPEN,
            door: a.target,
          });
          return RC.OK;
        }
        if (a.param1 !== 0x01) return RC.BAD_PARAMETER;
        for (const d of this.targets(a.target)) {
          if (a.param2 === 0x00) {
            d.passageMode = false;
            this.setRelay(d, false);
            this.raise({ code: TerminalEventCode.REMOTE_CLOSE, door: d.door });
          } else if (a.param2 === 0xff) {
            d.passageMode = true;
            this.setRelay(d, true);
            this.raise({ code: TerminalEventCode.REMOTE_NORMAL_OPEN, door: d.door });
          } else {
            this.raise({ code: TerminalEventCode.REMOTE_OPEN, door: d.door });
            this.pulseRelay(d, a.param2);
          }
        }
        return RC.OK;
      }
      case ControlOperation.CANCEL_ALARM:
        this.cancelAlarm(this.targets(a.target));
        return RC.OK;
      case ControlOperation.RESTART:
        return RC.OK; // performed after the result is posted (pollOnce)
      case ControlOperation.NORMAL_OPEN:
        for (const d of this.targets(a.target)) {
          if (a.param1 === 0x01) {
            if (d.lockedDown) continue;
            d.passageMode = true;
            this.setRelay(d, true);
            this.raise({ code: TerminalEventCode.REMOTE_NORMAL_OPEN, door: d.door });
          } else {
            d.passageMode = false;
            if (!d.relayTimer) this.setRelay(d, false);
            this.raise({ code: TerminalEventCode.DISABLE_NORMAL_OPEN, door: d.door });
          }
        }
        return RC.OK;
      case ControlOperation.LOCK:
        for (const d of this.targets(a.target)) {
          if (a.param1 === 0x01) {
            d.lockedDown = true;
            d.passageMode = false;
            this.setRelay(d, false);
            this.raise({ code: TerminalEventCode.REMOTE_LOCK, door: d.door });
          } else {
            d.lockedDown = false;
            this.emitDoor(d);
            this.raise({ code: TerminalEventCode.REMOTE_UNLOCK, door: d.door });
          }
        }
        return RC.OK;
      case ControlOperation.EMERGENCY: {
        const open = a.target === 0x01;
        if (!open && a.target !== 0x02) return RC.BAD_PARAMETER;
        for (const d of this.doors) {
          d.passageMode = open;
          if (open) d.lockedDown = false;
          this.setRelay(d, open);
          this.raise({
            code: open ? TerminalEventCode.EMERGENCY_DUAL_OPEN : TerminalEventCode.EMERGENCY_DUAL_CLOSE,
            door: d.door,
          });
        }
        return RC.OK;
      }
      default:
        return RC.NOT_SUPPORTED;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Door model
  // -------------------------------------------------------------------------------------------

  private doorRuntime(door: number): DoorRuntime {
    const d = this.doors[door - 1];
    if (!Number.isInteger(door) || !d) {
      throw new TerminalError(TerminalErrorCode.BAD_DOOR, `${this.sn} has no door ${door} (doors 1–${this.doorCount})`);
    }
    return d;
  }

  private snapshot(d: DoorRuntime): DoorSnapshot {
    return {
      door: d.door,
      relayOpen: d.relayOpen,
      sensorOpen: d.sensorOpen,
      alarm: d.alarm,
      passageMode: d.passageMode,
      lockedDown: d.lockedDown,
      driveTimeSec: d.driveTimeSec,
      detectorTimeSec: d.detectorTimeSec,
    };
  }

  private emitDoor(d: DoorRuntime): void {
    this.emit('door', this.snapshot(d));
  }

  private clearDoorTimers(d: DoorRuntime): void {
    clearTimeout(d.relayTimer);
    clearTimeout(d.heldTimer);
    d.relayTimer = undefined;
    d.heldTimer = undefined;
  }

  /** Sets the relay and reports rtstate when it changed. A pulse timer is cancelled. */
  private setRelay(d: DoorRuntime, open: boolean): void {
    clearTimeout(d.relayTimer);
    d.relayTimer = undefined;
    if (d.relayOpen === open) return;
    d.relayOpen = open;
    this.doorChanged(d);
  }

  /** Opens the relay for `seconds`; it falls back closed unless passage mode holds it. */
  private pulseRelay(d: DoorRuntime, seconds: number): void {
    const gen = this.generation;
    const wasOpen = d.relayOpen;
    clearTimeout(d.relayTimer);
    d.relayOpen = true;
    if (!wasOpen) this.doorChanged(d);
    d.relayTimer = setTimeout(() => {
      d.relayTimer = undefined;
      if (this.generation !== gen || d.passageMode || !d.relayOpen) return;
      d.relayOpen = false;
      this.doorChanged(d);
    }, seconds * 1000);
  }

  private doorChanged(d: DoorRuntime): void {
    this.emitDoor(d);
    if (this.mode === 'acc' && this.running) {
      this.queueRtstate();
      this.kickFlush();
    }
  }

  private cancelAlarm(doors: readonly DoorRuntime[]): void {
    for (const d of doors) {
      clearTimeout(d.heldTimer);
      d.heldTimer = undefined;
      const had = d.alarm !== 0;
      d.alarm = 0;
      if (this.mode === 'acc') this.raise({ code: TerminalEventCode.CANCEL_ALARM, door: d.door });
      if (had) this.doorChanged(d);
    }
  }

  /** Door contact opens: 200 when the relay or passage mode lets it, else 102 forced. */
  private sensorOpens(d: DoorRuntime, forced: boolean): TerminalEvent[] {
    const events: TerminalEvent[] = [];
    const legit = !forced && (d.relayOpen || d.passageMode);
    d.sensorOpen = true;
    if (legit) {
      events.push(this.raise({ code: TerminalEventCode.DOOR_OPENED, door: d.door }));
    } else {
      d.alarm |= AlarmBits.FORCED_OPEN;
      events.push(this.raise({ code: TerminalEventCode.FORCED_OPEN, door: d.door }));
    }
    this.doorChanged(d);
    this.armHeldTimer(d);
    return events;
  }

  private armHeldTimer(d: DoorRuntime, onTimeout?: (e: TerminalEvent) => void): void {
    clearTimeout(d.heldTimer);
    d.heldTimer = undefined;
    if (d.detectorTimeSec <= 0 || d.passageMode) return;
    const gen = this.generation;
    d.heldTimer = setTimeout(() => {
      d.heldTimer = undefined;
      if (this.generation !== gen || !d.sensorOpen || d.passageMode) return;
      d.alarm |= AlarmBits.OPEN_TIMEOUT;
      const e = this.raise({ code: TerminalEventCode.OPEN_TIMEOUT, door: d.door });
      this.doorChanged(d);
      this.kickFlush();
      onTimeout?.(e);
    }, d.detectorTimeSec * 1000);
  }

  // -------------------------------------------------------------------------------------------
  // Events and uploads
  // -------------------------------------------------------------------------------------------

  /** Raises one event: assigns the index, logs it as a transaction, queues its upload. */
  private raise(e: {
    code: number;
    door: number;
    pin?: string;
    cardno?: string;
    verifyType?: number;
    inOutStatus?: number;
    attendance?: boolean;
  }): TerminalEvent {
    const now = this.now();
    const queued = this.mode === 'acc' || e.attendance === true;
    const ev: TerminalEvent = {
      index: this.nextIndex++,
      code: e.code,
      time: formatPushDateTime(now),
      timeSecond: encodePushTime(now),
      door: e.door,
      pin: e.pin ?? '0',
      cardno: e.cardno || '0',
      verifyType: e.verifyType ?? VerifyType.OTHER,
      inOutStatus: e.inOutStatus ?? (e.verifyType === undefined ? 2 : 0),
      queued,
    };
    const record = {
      time: ev.time,
      pin: ev.pin,
      cardno: ev.cardno,
      eventaddr: ev.door,
      event: ev.code,
      inoutstatus: ev.inOutStatus,
      verifytype: ev.verifyType,
      index: ev.index,
    };
    this.tables.addTransaction({ ...record, timeSecond: ev.timeSecond });
    if (this.mode === 'acc') {
      this.enqueue('rtlog', formatRtlog(record));
    } else if (queued) {
      this.enqueue(
        'ATTLOG',
        formatAttlog({ pin: ev.pin, time: ev.time, status: ev.inOutStatus === 1 ? 1 : 0, verify: ev.verifyType }),
      );
    }
    this.log.info({ event: ev.code, door: ev.door, index: ev.index }, 'event raised');
    this.emit('event', ev);
    return ev;
  }

  /**
   * Fault injection: queues an `rtlog` line the caller wrote (say, one a faulty firmware garbled
   * with a NUL byte) under the next record index, and uploads it like any other record: in
   * order, re-sent until the server accepts it. Not an event (no `event` is emitted). Returns
   * the index it took.
   */
  injectRawRecord(build: (index: number) => string): number {
    this.assertRunning();
    if (this.mode !== 'acc') throw new TerminalError(TerminalErrorCode.BAD_OPTIONS, 'raw records need acc mode');
    const index = this.nextIndex++;
    this.enqueue('rtlog', build(index));
    this.kickFlush();
    return index;
  }

  private queueRtstate(): void {
    const bits = this.doors.map((d) => ({
      sensor: d.sensorOpen ? SensorBits.OPEN : SensorBits.CLOSED,
      relayOpen: d.relayOpen,
      alarm: d.alarm,
    }));
    this.enqueue('rtstate', formatRtstate(formatPushDateTime(this.now()), bits));
  }

  private enqueue(table: UploadTable, line: string): void {
    this.queue.push({ seq: this.nextSeq++, table, line });
    const max = this.opts.maxQueue ?? 10_000;
    if (this.queue.length > max) {
      const dropped = this.queue.splice(0, this.queue.length - max);
      if (!this.overflowReported) {
        this.overflowReported = true;
        this.report(
          new TerminalError(
            TerminalErrorCode.QUEUE_OVERFLOW,
            `upload queue full (${max}); dropped ${dropped.length} oldest record(s)`,
          ),
        );
      }
    }
  }

  private kickFlush(): void {
    if (this.online) void this.flush();
  }

  /**
   * Uploads the queue in order, one POST per run of same-table lines (≤ uploadBatchSize).
   * Serialised: concurrent callers wait for the flush that covers their records. Stops at the
   * first failure; the next poll retries. Never rejects.
   */
  flush(): Promise<void> {
    this.flushChain = this.flushChain.then(() => this.doFlush());
    return this.flushChain;
  }

  private async doFlush(): Promise<void> {
    const max = this.opts.uploadBatchSize ?? 100;
    let batches = 0;
    let lastBeat = Date.now();
    while (this.online && this.queue.length > 0) {
      const head = this.queue[0];
      const batch: QueuedLine[] = [];
      for (const q of this.queue) {
        if (q.table !== head.table || batch.length >= max) break;
        batch.push(q);
      }
      try {
        // Heartbeat while a long upload keeps the poll waiting: at most once per poll interval.
        if (batches > 0 && Date.now() - lastBeat >= this.requestDelay()) {
          await this.send('GET', '/iclock/ping', []);
          lastBeat = Date.now();
        }
        const ok = await this.uploadBatch(head.table, batch);
        if (!ok) return;
      } catch (err) {
        this.report(err);
        return;
      }
      const last = batch[batch.length - 1].seq;
      while (this.queue.length > 0 && this.queue[0].seq <= last) this.queue.shift();
      if (this.queue.length === 0) this.overflowReported = false;
      batches++;
      this.emit('uploaded', { table: head.table, lines: batch.map((b) => b.line) });
    }
  }

  /** POSTs one batch; true when the server acknowledged it properly. */
  private async uploadBatch(table: UploadTable, batch: readonly QueuedLine[]): Promise<boolean> {
    const body = batch.map((b) => b.line).join('\n') + '\n';
    const query: Array<[string, string]> = [['table', table]];
    if (table === 'ATTLOG') query.push(['Stamp', String(this.attlogStamp)]);
    const res = await this.send('POST', '/iclock/cdata', query, body);
    if (res.status === 401) throw new HttpStatusError(401, `${table} upload answered HTTP 401`);
    const accepted =
      res.status === 200 && (table === 'ATTLOG' ? parseAttlogAck(res.body) === batch.length : isOkReply(res.body));
    if (!accepted) {
      this.report(
        new TerminalError(
          TerminalErrorCode.UPLOAD_REJECTED,
          `${table} upload of ${batch.length} line(s) answered HTTP ${res.status} "${res.body.trim().slice(0, 40)}"; will re-send`,
        ),
      );
      return false;
    }
    if (table === 'ATTLOG') this.attlogStamp += batch.length;
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Scripted actions (what people and doors do)
  // -------------------------------------------------------------------------------------------

  private assertRunning(): void {
    if (!this.running) throw new TerminalError(TerminalErrorCode.NOT_RUNNING, `${this.sn} is stopped`);
  }

  /** Queues, then (when online) waits for the upload attempt, so callers can assert on the server. */
  private async settle(events: TerminalEvent[]): Promise<TerminalEvent[]> {
    if (this.online) await this.flush();
    return events;
  }

  private verify(credential: Credential, door: number, verifyType: number, inOut: 0 | 1): TerminalEvent[] {
    this.assertRunning();
    const d = this.doorRuntime(door);
    const decision = decideAccess({
      tables: this.tables,
      credential,
      door,
      now: this.now(),
      doorLocked: d.lockedDown,
      checkDoorRights: this.mode === 'acc',
    });
    const granted = decision.event === 0;
    const ev = this.raise({
      code: decision.event,
      door,
      pin: decision.user?.pin ?? (credential.kind === 'pin' ? credential.pin : '0'),
      cardno: credential.kind === 'card' ? normalizeCardNo(credential.cardno) : (decision.user?.cardno ?? ''),
      verifyType,
      inOutStatus: inOut,
      attendance: granted,
    });
    if (granted && !d.passageMode) this.pulseRelay(d, d.driveTimeSec);
    return [ev];
  }

  /** A card at the reader of `door` (decision order: see access-decision.ts). */
  swipeCard(cardno: string, door = 1, opts: { inOut?: 0 | 1 } = {}): Promise<TerminalEvent[]> {
    return this.settle(this.verify({ kind: 'card', cardno }, door, VerifyType.CARD, opts.inOut ?? 0));
  }

  /** A face match of person `pin` at `door`. */
  verifyFace(pin: string, door = 1, opts: { inOut?: 0 | 1 } = {}): Promise<TerminalEvent[]> {
    return this.settle(this.verify({ kind: 'pin', pin }, door, VerifyType.FACE, opts.inOut ?? 0));
  }

  /**
   * A dynamic (personnel) or visitor QR code at `door`: asked to the server by remote
   * verification. SUCCESS → event 0 (or 222, option) and the relay opens for the seconds of
   * the attached `CONTROL DEVICE`, else the drive time; a remote-locked door still gives 63.
   * FAILED → 44. TIMEOUT, no verdict, or server unreachable → 45.
   */
  async verifyQr(code: string, door = 1): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(door);
    const now = this.now();
    let verdict: ReturnType<typeof parseAuthReply> = null;
    if (this.online) {
      const body = formatTabRecord([
        ['time', formatPushDateTime(now)],
        ['pin', '0'],
        ['cardno', code],
        ['addrtype', 2],
        ['eventaddr', door],
        ['event', 0],
        ['inoutstatus', 0],
        ['verifytype', VerifyType.OTHER],
      ]);
      try {
        const res = await this.send('POST', '/iclock/cdata', [['AuthType', 'device']], body + '\n');
        verdict = res.status === 200 ? parseAuthReply(res.body) : null;
        if (!verdict) this.log.warn({ status: res.status }, 'remote verification: no verdict');
      } catch (err) {
        this.report(err);
      }
    }
    const pin = verdict?.record?.get('pin')?.trim() || '0';
    const base = { door, pin, cardno: code, verifyType: VerifyType.OTHER, inOutStatus: 0 };
    let ev: TerminalEvent;
    if (verdict?.verdict === 'SUCCESS') {
      if (d.lockedDown) {
        ev = this.raise({ ...base, code: TerminalEventCode.DOOR_LOCKED });
      } else {
        ev = this.raise({ ...base, code: this.opts.remoteVerifySuccessEvent ?? 0, attendance: true });
        const c = verdict.control;
        const seconds =
          c && c.operation === ControlOperation.OUTPUT && c.param2 > 0 && c.param2 < 0xff ? c.param2 : d.driveTimeSec;
        if (!d.passageMode) this.pulseRelay(d, seconds);
      }
    } else if (verdict?.verdict === 'FAILED') {
      ev = this.raise({ ...base, code: TerminalEventCode.BACKGROUND_VERIFY_FAILED });
    } else {
      ev = this.raise({ ...base, code: TerminalEventCode.BACKGROUND_VERIFY_TIMEOUT });
    }
    return this.settle([ev]);
  }

  /** Request-to-exit button: event 202 and a relay pulse (works during remote lock, as REX does). */
  pressExitButton(door = 1): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(door);
    const ev = this.raise({ code: TerminalEventCode.EXIT_BUTTON, door, inOutStatus: 1 });
    if (!d.passageMode) this.pulseRelay(d, d.driveTimeSec);
    return this.settle([ev]);
  }

  /** Someone opens the door: 200 if the relay (or passage mode) released it, else 102 forced. */
  openDoor(door = 1): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(door);
    if (d.sensorOpen) return Promise.resolve([]);
    return this.settle(this.sensorOpens(d, false));
  }

  /** The door is forced open: event 102, alarm bit 1 (forced) — regardless of the relay. */
  forceDoor(door = 1): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(door);
    return this.settle(this.sensorOpens(d, true));
  }

  /**
   * The door is opened (as {@link openDoor}) and left open: after the detector time, event 28
   * and alarm bit 16. With `untilTimeout`, resolves only after the 28 was raised and uploaded.
   */
  async holdDoorOpen(door = 1, opts: { untilTimeout?: boolean } = {}): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(door);
    const events = d.sensorOpen ? [] : this.sensorOpens(d, false);
    if (!opts.untilTimeout || d.detectorTimeSec <= 0 || d.passageMode) return this.settle(events);
    const timeout = await new Promise<TerminalEvent>((resolve) => this.armHeldTimer(d, resolve));
    return this.settle([...events, timeout]);
  }

  /** The door closes: event 201; stops the open-too-long timer. No event if already closed. */
  closeDoor(door = 1): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(door);
    if (!d.sensorOpen) return Promise.resolve([]);
    d.sensorOpen = false;
    clearTimeout(d.heldTimer);
    d.heldTimer = undefined;
    const ev = this.raise({ code: TerminalEventCode.DOOR_CLOSED, door });
    this.doorChanged(d);
    return this.settle([ev]);
  }

  /** Device tamper switch: event 100 (eventaddr 0 = device), alarm bit 2 on door 1's byte. */
  tamper(): Promise<TerminalEvent[]> {
    this.assertRunning();
    const d = this.doorRuntime(1);
    d.alarm |= AlarmBits.TAMPER;
    const ev = this.raise({ code: TerminalEventCode.TAMPER, door: 0 });
    this.doorChanged(d);
    return this.settle([ev]);
  }
}

function isRestart(cmd: PushCommand): boolean {
  return cmd.kind === 'reboot' || (cmd.kind === 'control-device' && cmd.args.operation === ControlOperation.RESTART);
}

/** A non-200 answer; 401 makes the terminal handshake again. */
class HttpStatusError extends TerminalError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(TerminalErrorCode.HTTP_STATUS, message);
  }
}
