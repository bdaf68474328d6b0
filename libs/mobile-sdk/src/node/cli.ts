#!/usr/bin/env node
/**
 * lanbridge-mobile: the mobile app's features from a terminal, through the cloud (npm run mobile -- …).
 *
 * State (organisation, tokens; never a password) lives in ~/.lanbridge/mobile.json, mode 0600,
 * or in LANBRIDGE_MOBILE_STATE. Trusted brokers come from --trust / LANBRIDGE_TRUSTED_ISSUERS,
 * never from a QR code. Exit codes: 0 ok, 1 refused (by the server or a security check; the code
 * and message are printed), 2 usage.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import QRCode from 'qrcode';
import WebSocket from 'ws';
import { LanbridgeClient, type SessionSnapshot } from '../client';
import { LanbridgeError, SdkErrorCode } from '../errors';
import type { TrustedIssuer } from '../org-qr';
import type { LoginCredentials } from '../site-hello';
import type { StreamEvent } from '../stream';
import type {
  AccessRecordView,
  AlarmView,
  DeviceView,
  DoorView,
  InvitationView,
  LockdownGroupView,
  NotificationView,
  Page,
  VisitStatus,
  VisitView,
} from '../types';
import {
  type Column,
  keyValues,
  localTime,
  promptHidden,
  PromptCancelled,
  readAll,
  table,
  withSpinner,
} from './cli-output';
import { decodeQrImage } from './qr-image';
import { defaultStatePath, type MobileState, StateFile } from './state-file';

const USAGE = `usage: npm run mobile -- <command> [options]

  scan <png-file|qr-url>             verify an organisation QR and remember the organisation
  login --admin USER | --personnel PIN [--password-stdin]
  logout
  me                                 account, organisation, notification switch
admin
  dashboard [--area ID]
  devices [--status online|offline]
  alarms [--today] [--unconfirmed] [--q TEXT] [--page N]
  alarm <alarmId>                    one alarm in detail
  confirm <alarmId> [--remark TEXT]
  doors [--q TEXT]
  unlock <doorId|door name> [--seconds N]
  cancel-alarm <doorId|door name>
  lockdown [list | activate <groupId> | cancel <groupId>]
  records [--q TEXT] [--page N]
  visitors [list [--today] [--status reserved|checked_in|checked_out] [--q TEXT]
            | register --name NAME (--host-pin PIN | --host-id ID) [--start ISO] [--end ISO]
                       [--contact C] [--reason R] [--photo FILE.jpg|png]
            | check-in <visitId> | check-out <visitId>]
  stats                              today's visitors and the month's top visitors
personnel
  credentials                        my dynamic access QR, drawn in the terminal
  invitations [list | create --first-name F --email E --start ISO --end ISO [--last-name L]
               [--mobile M] [--reason R] [--visitor-count N] [--remarks R] | reinvite <id> [--start ISO] [--end ISO]]
both
  notifications [list [--unread] | read <id> | read-all]
  notifications-switch on|off        background notifications for this account
  watch [--resume]                   live events until Ctrl-C (--resume: continue after the last one seen)

options: --json (machine output)  --trust ORIGIN (repeatable; or LANBRIDGE_TRUSTED_ISSUERS=a,b)
         --allow-unpinned  --yes (no confirmation)  --deadline SECONDS (commands, default 30)
         --state FILE (or LANBRIDGE_MOBILE_STATE)`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  json: { type: 'boolean' },
  trust: { type: 'string', multiple: true },
  state: { type: 'string' },
  'allow-unpinned': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
  admin: { type: 'string' },
  personnel: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  area: { type: 'string' },
  status: { type: 'string' },
  today: { type: 'boolean' },
  unconfirmed: { type: 'boolean' },
  unread: { type: 'boolean' },
  q: { type: 'string' },
  page: { type: 'string' },
  remark: { type: 'string' },
  seconds: { type: 'string' },
  deadline: { type: 'string' },
  name: { type: 'string' },
  contact: { type: 'string' },
  'host-pin': { type: 'string' },
  'host-id': { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  reason: { type: 'string' },
  photo: { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  email: { type: 'string' },
  mobile: { type: 'string' },
  'visitor-count': { type: 'string' },
  remarks: { type: 'string' },
  resume: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Where the CLI reads and writes (the process's streams, or a test's). */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

interface Ctx {
  readonly flags: Flags;
  readonly args: readonly string[];
  readonly state: StateFile;
  readonly json: boolean;
  readonly io: CliIo;
  /** Set when the command ran but its outcome is a failure (e.g. the terminal refused to unlock). */
  exitCode: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function print(ctx: Ctx, text: string): void {
  ctx.io.stdout.write(`${text}\n`);
}

function emit(ctx: Ctx, value: unknown, human: () => string): void {
  print(ctx, ctx.json ? JSON.stringify(value, null, 2) : human());
}

function slow<T>(ctx: Ctx, label: string, work: Promise<T>): Promise<T> {
  return withSpinner(ctx.io.stderr, label, work);
}

function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}–${max}`);
  return n;
}

function isoFlag(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be a date and time, e.g. 2026-05-01T09:00:00+02:00`);
  return new Date(t).toISOString();
}

function arg(ctx: Ctx, i: number, what: string): string {
  const v = ctx.args[i];
  if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
  return v;
}

function trustedIssuers(ctx: Ctx): TrustedIssuer[] {
  const list = [...(ctx.flags.trust ?? []), ...(ctx.io.env.LANBRIDGE_TRUSTED_ISSUERS ?? '').split(',')]
    .flatMap((s) => s.split(','))
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s !== '');
  return [...new Set(list)].map((issuer) => ({ issuer }));
}

function client(ctx: Ctx, state: MobileState): LanbridgeClient {
  return new LanbridgeClient({
    WebSocket,
    trustedIssuers: trustedIssuers(ctx),
    allowUnpinned: ctx.flags['allow-unpinned'] === true,
    org: state.org,
    session: state.session,
    commandDeadlineMs: (intFlag('deadline', ctx.flags.deadline, 1, 3600) ?? 30) * 1000,
    onSessionChange: (session: SessionSnapshot | undefined) => {
      ctx.state.update((s) => ({ ...s, session }));
    },
  });
}

function signedIn(ctx: Ctx): LanbridgeClient {
  const state = ctx.state.read();
  if (!state.org)
    throw new LanbridgeError(SdkErrorCode.NO_ORGANISATION, 'scan an organisation QR code first (scan <png|url>)');
  if (!state.session)
    throw new LanbridgeError(SdkErrorCode.NOT_SIGNED_IN, 'sign in first (login --admin USER | --personnel PIN)');
  return client(ctx, state);
}

function pageFooter(p: Page<unknown>): string {
  const pages = Math.max(1, Math.ceil(p.total / p.pageSize));
  return `page ${p.page} of ${pages} (${p.total} in all)`;
}

function listing<T>(ctx: Ctx, p: Page<T>, render: (items: T[]) => string): void {
  emit(ctx, p, () => (p.items.length === 0 ? 'nothing to show' : `${render(p.items)}\n${pageFooter(p)}`));
}

// ---- commands

async function cmdScan(ctx: Ctx): Promise<void> {
  const source = arg(ctx, 0, 'a PNG file or the QR text (https://…/o#…)');
  let text = source;
  let isFile = false;
  try {
    isFile = statSync(source).isFile();
  } catch {
    isFile = false;
  }
  if (isFile) text = decodeQrImage(readFileSync(source));
  const trusted = trustedIssuers(ctx);
  if (trusted.length === 0) {
    throw new UsageError('no trusted broker: pass --trust https://<broker> or set LANBRIDGE_TRUSTED_ISSUERS');
  }
  const c = client(ctx, { version: 1 });
  const org = await slow(ctx, 'verifying the QR code', c.scan(text));
  if (!ctx.json && !ctx.flags.yes && ctx.io.stdin.isTTY) {
    ctx.io.stderr.write(`Organisation "${org.name}" at ${org.issuer}. Use it? [Y/n] `);
    const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
    if (answer !== '' && answer !== 'y' && answer !== 'yes') throw new UsageError('not saved');
  }
  const previous = ctx.state.read();
  const sameOrg = previous.org?.orgId === org.orgId && previous.org.api === org.api;
  ctx.state.write({ version: 1, org, ...(sameOrg && previous.session ? { session: previous.session } : {}) });
  emit(ctx, org, () =>
    keyValues([
      ['Organisation', org.name],
      ['Id', org.orgId],
      ['Broker', org.issuer],
      ['API', org.api],
      ['Site key', org.skt ?? 'not pinned'],
      ['Online', org.online === undefined ? 'unknown' : org.online ? 'yes' : 'no'],
      ['Saved to', ctx.state.path],
    ]),
  );
}

function readLine(input: Readable): Promise<string> {
  return new Promise((resolve) => {
    input.resume();
    input.once('data', (d) => {
      input.pause();
      resolve(String(d));
    });
  });
}

async function cmdLogin(ctx: Ctx): Promise<void> {
  const { admin, personnel } = ctx.flags;
  if ((admin === undefined) === (personnel === undefined))
    throw new UsageError('login needs --admin USER or --personnel PIN');
  const state = ctx.state.read();
  if (!state.org)
    throw new LanbridgeError(SdkErrorCode.NO_ORGANISATION, 'scan an organisation QR code first (scan <png|url>)');
  let password: string;
  if (ctx.flags['password-stdin']) {
    password = await readAll(ctx.io.stdin);
  } else if (ctx.io.stdin.isTTY) {
    password = await promptHidden('Password: ', ctx.io.stdin, ctx.io.stderr);
  } else {
    throw new UsageError('no terminal to ask for the password: use --password-stdin');
  }
  if (password === '') throw new UsageError('empty password');
  const credentials: LoginCredentials =
    admin !== undefined
      ? { type: 'admin', username: admin, password }
      : { type: 'personnel', pin: personnel ?? '', password };
  const c = client(ctx, { ...state, session: undefined });
  const session = await slow(ctx, `signing in to ${state.org.name}`, c.login(credentials));
  const view = { role: session.role, name: session.name, siteId: session.siteId, organisation: state.org.name };
  emit(ctx, view, () => `Signed in to ${state.org?.name} as ${session.name} (${session.role}).`);
}

async function cmdLogout(ctx: Ctx): Promise<void> {
  const state = ctx.state.read();
  if (state.session && state.org) await slow(ctx, 'signing out', client(ctx, state).logout());
  ctx.state.update((s) => ({ version: 1, ...(s.org ? { org: s.org } : {}) }));
  emit(ctx, { signedOut: true }, () => 'Signed out.');
}

async function cmdMe(ctx: Ctx): Promise<void> {
  const me = await slow(ctx, 'loading', signedIn(ctx).me.get());
  emit(ctx, me, () =>
    keyValues([
      ['Name', me.account.name],
      ['User', me.account.username],
      ['Role', me.role],
      ['Department', me.account.department],
      ['Organisation', me.organisation.name],
      ['Notifications', me.notificationsEnabled ? 'on' : 'off'],
      ['Privacy policy', me.privacyPolicyUrl],
      ['Site version', me.version],
    ]),
  );
}

async function cmdDashboard(ctx: Ctx): Promise<void> {
  const d = await slow(ctx, 'loading the dashboard', signedIn(ctx).dashboard.get(ctx.flags.area));
  emit(ctx, d, () =>
    keyValues([
      ['People', d.people],
      ['Visitors today', d.visitorsToday],
      ['Devices', `${d.devices.total} (${d.devices.online} online, ${d.devices.offline} offline)`],
      ['Areas', d.areas.map((a) => a.name).join(', ') || '-'],
    ]),
  );
}

async function cmdDevices(ctx: Ctx): Promise<void> {
  const status = ctx.flags.status;
  if (status !== undefined && status !== 'online' && status !== 'offline') {
    throw new UsageError('--status must be online or offline');
  }
  const p = await slow(
    ctx,
    'loading devices',
    signedIn(ctx).devices.list({ status, areaId: ctx.flags.area, pageSize: 100 }),
  );
  listing(ctx, p, (items) =>
    table<DeviceView>(items, [
      { title: 'NAME', value: (d) => d.name },
      { title: 'SN', value: (d) => d.sn },
      { title: 'STATUS', value: (d) => (d.online ? 'online' : 'offline') },
      { title: 'AREA', value: (d) => d.areaName },
      { title: 'FIRMWARE', value: (d) => d.firmware },
      { title: 'LAST SEEN', value: (d) => localTime(d.lastSeenAt) },
    ]),
  );
}

const alarmColumns: Column<AlarmView>[] = [
  { title: 'TIME', value: (a) => localTime(a.time) },
  { title: 'LEVEL', value: (a) => a.level },
  { title: 'EVENT', value: (a) => a.description, max: 60 },
  { title: 'CONFIRMED', value: (a) => (a.confirmed ? 'yes' : 'no') },
  { title: 'ID', value: (a) => a.id, max: 36 },
];

async function cmdAlarms(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const p = await slow(
    ctx,
    'loading alarms',
    c.alarms.list({
      today: ctx.flags.today ? true : undefined,
      confirmed: ctx.flags.unconfirmed ? false : undefined,
      q: ctx.flags.q,
      page: intFlag('page', ctx.flags.page, 1, 100000),
    }),
  );
  listing(ctx, p, (items) => table(items, alarmColumns));
}

async function cmdAlarm(ctx: Ctx): Promise<void> {
  const a = await slow(ctx, 'loading the alarm', signedIn(ctx).alarms.get(arg(ctx, 0, 'alarm id')));
  emit(ctx, a, () =>
    keyValues([
      ['Time', localTime(a.time)],
      ['Level', a.level],
      ['Event', a.description],
      ['Device', `${a.deviceName ?? '-'} (${a.deviceSn})`],
      ['Source', a.source],
      ['Area', a.areaName],
      ['Person', a.personName],
      ['Confirmed', a.confirmed ? `by ${a.confirmedBy ?? '?'} at ${localTime(a.confirmedAt)}` : 'no'],
      ['Remark', a.remark],
      ['Picture', a.pictureUrl],
    ]),
  );
}

async function cmdConfirm(ctx: Ctx): Promise<void> {
  const a = await slow(ctx, 'confirming', signedIn(ctx).alarms.confirm(arg(ctx, 0, 'alarm id'), ctx.flags.remark));
  emit(ctx, a, () => `Confirmed: ${a.description} (${localTime(a.time)}).`);
}

async function cmdDoors(ctx: Ctx): Promise<void> {
  const p = await slow(ctx, 'loading doors', signedIn(ctx).doors.list({ q: ctx.flags.q, pageSize: 100 }));
  listing(ctx, p, (items) =>
    table<DoorView>(items, [
      { title: 'DOOR', value: (d) => d.name },
      { title: 'DEVICE', value: (d) => d.deviceName },
      { title: 'ONLINE', value: (d) => (d.deviceOnline ? 'yes' : 'no') },
      { title: 'AREA', value: (d) => d.areaName },
      { title: 'SENSOR', value: (d) => d.sensorState },
      { title: 'LOCKDOWN', value: (d) => (d.lockedDown ? 'yes' : 'no') },
      { title: 'ID', value: (d) => d.id, max: 36 },
    ]),
  );
}

/** A door id, or the id of the one door with this name. */
async function doorId(c: LanbridgeClient, nameOrId: string): Promise<{ id: string; name: string }> {
  if (UUID.test(nameOrId)) return { id: nameOrId, name: nameOrId };
  const p = await c.doors.list({ q: nameOrId, pageSize: 100 });
  const exact = p.items.filter((d) => d.name.toLowerCase() === nameOrId.toLowerCase());
  const hits = exact.length > 0 ? exact : p.items;
  if (hits.length !== 1) {
    throw new UsageError(
      hits.length === 0
        ? `no door named "${nameOrId}"`
        : `"${nameOrId}" matches ${hits.length} doors: ${hits.map((d) => `${d.name} (${d.id})`).join(', ')}`,
    );
  }
  return { id: hits[0].id, name: hits[0].name };
}

async function cmdUnlock(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const door = await doorId(c, arg(ctx, 0, 'door id or name'));
  const seconds = intFlag('seconds', ctx.flags.seconds, 1, 254);
  const r = await slow(ctx, `unlocking ${door.name}`, c.doors.unlock(door.id, seconds));
  emit(
    ctx,
    r,
    () => `Unlock ${door.name}: ${r.status}${r.returnCode === null ? '' : ` (return code ${r.returnCode})`}.`,
  );
  if (r.status === 'failed') ctx.exitCode = 1;
}

async function cmdCancelAlarm(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const door = await doorId(c, arg(ctx, 0, 'door id or name'));
  const r = await slow(ctx, `cancelling the alarm of ${door.name}`, c.doors.cancelAlarm(door.id));
  emit(
    ctx,
    r,
    () => `Cancel alarm ${door.name}: ${r.status}${r.returnCode === null ? '' : ` (return code ${r.returnCode})`}.`,
  );
  if (r.status === 'failed') ctx.exitCode = 1;
}

const groupColumns: Column<LockdownGroupView>[] = [
  { title: 'GROUP', value: (g) => g.name },
  { title: 'STATUS', value: (g) => g.status },
  { title: 'DOORS', value: (g) => g.doorCount, right: true },
  { title: 'ACTIVATED BY', value: (g) => g.activatedBy },
  { title: 'SINCE', value: (g) => localTime(g.activatedAt) },
  { title: 'ID', value: (g) => g.id, max: 36 },
];

async function cmdLockdown(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const sub = ctx.args[0] ?? 'list';
  if (sub === 'list') {
    const groups = await slow(ctx, 'loading lockdown groups', c.lockdown.groups());
    emit(ctx, groups, () => (groups.length === 0 ? 'no lockdown groups' : table(groups, groupColumns)));
    return;
  }
  if (sub !== 'activate' && sub !== 'cancel')
    throw new UsageError('lockdown list | activate <groupId> | cancel <groupId>');
  const groupId = arg(ctx, 1, 'lockdown group id');
  const g = await slow(
    ctx,
    sub === 'activate' ? 'activating the lockdown' : 'ending the lockdown',
    sub === 'activate' ? c.lockdown.activate(groupId) : c.lockdown.cancel(groupId),
  );
  emit(ctx, g, () => `${g.name}: ${g.status}.`);
}

async function cmdRecords(ctx: Ctx): Promise<void> {
  const p = await slow(
    ctx,
    'loading access records',
    signedIn(ctx).accessRecords.list({ q: ctx.flags.q, page: intFlag('page', ctx.flags.page, 1, 100000) }),
  );
  listing(ctx, p, (items) =>
    table<AccessRecordView>(items, [
      { title: 'TIME', value: (r) => localTime(r.time) },
      { title: 'PERSON', value: (r) => (r.personName ? `${r.personName} (${r.pin ?? '-'})` : r.pin) },
      { title: 'DOOR', value: (r) => r.doorName ?? r.deviceName },
      { title: 'RESULT', value: (r) => (r.granted ? 'granted' : 'denied') },
      { title: 'EVENT', value: (r) => r.eventName },
      { title: 'DIR', value: (r) => r.direction },
    ]),
  );
}

const visitColumns: Column<VisitView>[] = [
  { title: 'VISITOR', value: (v) => v.visitorName },
  { title: 'HOST', value: (v) => v.hostName },
  { title: 'START', value: (v) => localTime(v.startAt) },
  { title: 'STATUS', value: (v) => v.status },
  { title: 'ID', value: (v) => v.id, max: 36 },
];

function photoBase64(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  return readFileSync(file).toString('base64');
}

async function cmdVisitors(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const sub = ctx.args[0] ?? 'list';
  const f = ctx.flags;
  switch (sub) {
    case 'list': {
      const status = f.status as VisitStatus | undefined;
      if (status !== undefined && !['reserved', 'checked_in', 'checked_out'].includes(status)) {
        throw new UsageError('--status must be reserved, checked_in or checked_out');
      }
      const p = await slow(ctx, 'loading visits', c.visits.list({ today: f.today ? true : undefined, status, q: f.q }));
      listing(ctx, p, (items) => table(items, visitColumns));
      return;
    }
    case 'register': {
      if (!f.name) throw new UsageError('visitors register needs --name');
      if (!f['host-pin'] && !f['host-id']) throw new UsageError('visitors register needs --host-pin or --host-id');
      const v = await slow(
        ctx,
        'registering the visitor',
        c.visits.register({
          name: f.name,
          hostPin: f['host-pin'],
          hostPersonId: f['host-id'],
          startAt: isoFlag('start', f.start) ?? new Date().toISOString(),
          endAt: isoFlag('end', f.end),
          contact: f.contact,
          reason: f.reason,
          photo: photoBase64(f.photo),
        }),
      );
      emit(ctx, v, () => `Registered ${v.visitorName} (visit ${v.id}), host ${v.hostName ?? '-'}.`);
      return;
    }
    case 'check-in':
    case 'check-out': {
      const visitId = arg(ctx, 1, 'visit id');
      const v = await slow(ctx, sub, sub === 'check-in' ? c.visits.checkIn(visitId) : c.visits.checkOut(visitId));
      emit(ctx, v, () => `${v.visitorName}: ${v.status}.`);
      return;
    }
    default:
      throw new UsageError('visitors list | register … | check-in <id> | check-out <id>');
  }
}

async function cmdStats(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const [summary, stats] = await slow(
    ctx,
    'loading statistics',
    Promise.all([c.visits.summary(), c.visits.statistics()]),
  );
  emit(ctx, { summary, statistics: stats }, () => {
    const peak = Math.max(1, ...stats.todayByHour.map((h) => h.count));
    const hours = stats.todayByHour
      .filter((h) => h.count > 0)
      .map((h) => `  ${String(h.hour).padStart(2, '0')}:00 ${'█'.repeat(Math.ceil((h.count / peak) * 30))} ${h.count}`);
    return [
      keyValues([
        ['Visitors today', summary.visitors],
        ['Checked in today', summary.checkedIn],
        ['Not checked out', summary.notCheckedOut],
      ]),
      '',
      'Check-ins today by hour:',
      ...(hours.length > 0 ? hours : ['  none']),
      '',
      'Top visitors this month:',
      stats.topVisitorsThisMonth.length > 0
        ? table(stats.topVisitorsThisMonth, [
            { title: 'VISITOR', value: (t) => t.name },
            { title: 'VISITS', value: (t) => t.visits, right: true },
          ])
        : '  none',
    ].join('\n');
  });
}

async function cmdCredentials(ctx: Ctx): Promise<void> {
  const qr = await slow(ctx, 'loading my credential', signedIn(ctx).credentials.qr());
  if (ctx.json) {
    emit(ctx, qr, () => '');
    return;
  }
  const drawing = await QRCode.toString(qr.code, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
  print(
    ctx,
    `${drawing}\n${qr.code}\nvalid until ${localTime(qr.expiresAt)} (a new code every ${qr.refreshSeconds} s)`,
  );
}

const invitationColumns: Column<InvitationView>[] = [
  { title: 'VISITOR', value: (i) => [i.firstName, i.lastName].filter(Boolean).join(' ') },
  { title: 'EMAIL', value: (i) => i.email },
  { title: 'START', value: (i) => localTime(i.startAt) },
  { title: 'END', value: (i) => localTime(i.endAt) },
  { title: 'STATUS', value: (i) => i.status },
  { title: 'ID', value: (i) => i.id, max: 36 },
];

async function cmdInvitations(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const sub = ctx.args[0] ?? 'list';
  const f = ctx.flags;
  if (sub === 'list') {
    const p = await slow(ctx, 'loading invitations', c.invitations.list({ page: intFlag('page', f.page, 1, 100000) }));
    listing(ctx, p, (items) => table(items, invitationColumns));
    return;
  }
  if (sub === 'create') {
    const startAt = isoFlag('start', f.start);
    const endAt = isoFlag('end', f.end);
    if (!f['first-name'] || !f.email || !startAt || !endAt) {
      throw new UsageError('invitations create needs --first-name, --email, --start and --end');
    }
    const r = await slow(
      ctx,
      'sending the invitation',
      c.invitations.create({
        firstName: f['first-name'],
        lastName: f['last-name'],
        email: f.email,
        mobile: f.mobile,
        startAt,
        endAt,
        reason: f.reason,
        visitorCount: intFlag('visitor-count', f['visitor-count'], 1, 50),
        remarks: f.remarks,
      }),
    );
    emit(ctx, r, () => `Invited ${r.invitation.firstName} (${r.mail.to}); invitation ${r.invitation.id}.`);
    return;
  }
  if (sub === 'reinvite') {
    const r = await slow(
      ctx,
      'sending the invitation again',
      c.invitations.reinvite(arg(ctx, 1, 'invitation id'), {
        startAt: isoFlag('start', f.start),
        endAt: isoFlag('end', f.end),
      }),
    );
    emit(ctx, r, () => `Invited ${r.invitation.firstName} again (${r.mail.to}); invitation ${r.invitation.id}.`);
    return;
  }
  throw new UsageError('invitations list | create … | reinvite <id>');
}

async function cmdNotifications(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const sub = ctx.args[0] ?? 'list';
  if (sub === 'list') {
    const p = await slow(
      ctx,
      'loading notifications',
      c.notifications.list({ unread: ctx.flags.unread ? true : undefined }),
    );
    emit(ctx, p, () =>
      p.items.length === 0
        ? 'no notifications'
        : `${table<NotificationView>(p.items, [
            { title: 'TIME', value: (n) => localTime(n.createdAt) },
            { title: 'TITLE', value: (n) => n.title },
            { title: 'MESSAGE', value: (n) => n.body, max: 60 },
            { title: 'READ', value: (n) => (n.read ? 'yes' : 'no') },
            { title: 'ID', value: (n) => n.id, max: 36 },
          ])}\n${pageFooter(p)}, ${p.unread} unread`,
    );
    return;
  }
  if (sub === 'read') {
    const n = await slow(ctx, 'marking as read', c.notifications.read(arg(ctx, 1, 'notification id')));
    emit(ctx, n, () => `Read: ${n.title}.`);
    return;
  }
  if (sub === 'read-all') {
    const r = await slow(ctx, 'marking all as read', c.notifications.readAll());
    emit(ctx, r, () => `${r.updated} marked as read.`);
    return;
  }
  throw new UsageError('notifications list [--unread] | read <id> | read-all');
}

async function cmdNotificationSwitch(ctx: Ctx): Promise<void> {
  const v = arg(ctx, 0, 'on or off');
  if (v !== 'on' && v !== 'off') throw new UsageError('notifications-switch on|off');
  const me = await slow(ctx, 'saving', signedIn(ctx).me.setNotifications(v === 'on'));
  emit(ctx, me, () => `Background notifications ${me.notificationsEnabled ? 'on' : 'off'}.`);
}

function describeEvent(e: StreamEvent): string {
  const d = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  const text = [
    d.description,
    d.title,
    d.body,
    d.eventName,
    d.name,
    d.online === undefined ? undefined : d.online ? 'online' : 'offline',
  ]
    .filter((x) => typeof x === 'string' && x !== '')
    .join(' — ');
  return `${localTime(new Date().toISOString())}  ${e.type.padEnd(13)} ${text || JSON.stringify(e.data)}${e.id ? `  #${e.id}` : ''}`;
}

async function cmdWatch(ctx: Ctx): Promise<void> {
  const c = signedIn(ctx);
  const after = ctx.flags.resume ? ctx.state.read().lastEventId : undefined;
  let failure: LanbridgeError | undefined;
  const stream = c.watch({
    after,
    onEvent: (e) => {
      print(ctx, ctx.json ? JSON.stringify(e) : describeEvent(e));
      if (e.id) ctx.state.update((s) => ({ ...s, lastEventId: e.id }));
    },
    onResumed: (r) => {
      if (r.truncated) ctx.io.stderr.write('some missed events are no longer stored (over 7 days old)\n');
    },
    onStatus: (s) => {
      if (s.state === 'closed') failure = s.error;
      const line =
        s.state === 'open'
          ? `connected (${s.role ?? '?'})`
          : s.state === 'reconnecting'
            ? `connection lost (${s.reason}); retrying in ${Math.round(s.delayMs / 100) / 10} s`
            : s.state === 'closed'
              ? `closed: ${s.reason}`
              : s.attempt > 1
                ? `connecting (attempt ${s.attempt})`
                : 'connecting';
      ctx.io.stderr.write(`${line}\n`);
    },
  });
  const stop = (): void => stream.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await stream.done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (failure) throw failure;
}

const COMMANDS: Record<string, (ctx: Ctx) => Promise<void>> = {
  scan: cmdScan,
  login: cmdLogin,
  logout: cmdLogout,
  me: cmdMe,
  dashboard: cmdDashboard,
  devices: cmdDevices,
  alarms: cmdAlarms,
  alarm: cmdAlarm,
  confirm: cmdConfirm,
  doors: cmdDoors,
  unlock: cmdUnlock,
  'cancel-alarm': cmdCancelAlarm,
  lockdown: cmdLockdown,
  records: cmdRecords,
  visitors: cmdVisitors,
  stats: cmdStats,
  credentials: cmdCredentials,
  invitations: cmdInvitations,
  notifications: cmdNotifications,
  'notifications-switch': cmdNotificationSwitch,
  watch: cmdWatch,
};

const PROCESS_IO: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };

/** Runs one command; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const run = COMMANDS[command];
  const json = parsed.values.json === true;
  if (!run) {
    io.stderr.write(`unknown command: ${command}\n\n${USAGE}\n`);
    return 2;
  }
  const ctx: Ctx = {
    flags: parsed.values,
    args,
    state: new StateFile(parsed.values.state ?? defaultStatePath(io.env)),
    json,
    io,
    exitCode: 0,
  };
  try {
    await run(ctx);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof UsageError || err instanceof PromptCancelled || isUsage(err)) {
      io.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    if (err instanceof LanbridgeError) {
      if (json) {
        io.stderr.write(
          `${JSON.stringify({ error: { code: err.code, message: err.message, status: err.status, requestId: err.requestId } })}\n`,
        );
      } else {
        const where = err.requestId ? ` (request ${err.requestId})` : '';
        io.stderr.write(`${err.code}: ${err.message}${where}\n`);
      }
      return 1;
    }
    io.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

function isUsage(err: unknown): boolean {
  return err instanceof LanbridgeError && err.code === SdkErrorCode.INVALID_ARGUMENT;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
