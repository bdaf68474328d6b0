/**
 * Shapes of the site API (apps/access-core/src/mobile/README.md), as the app sees them.
 * Times are ISO 8601 strings; ids are UUIDs.
 */
import type { Role } from './site-hello';

export interface Page<T> {
  readonly items: T[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
}

export interface PageQuery {
  /** ≥ 1, default 1. */
  readonly page?: number;
  /** 1–100, default 20. */
  readonly pageSize?: number;
  /** By time; default desc. */
  readonly order?: 'asc' | 'desc';
}

export interface TokenPair {
  readonly tokenType: 'Bearer';
  readonly accessToken: string;
  /** Seconds. */
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresAt: string;
  readonly role: Role;
  readonly siteId: string;
}

// ---- admin: dashboard and devices

export interface Dashboard {
  readonly areaId: string | null;
  readonly people: number;
  readonly visitorsToday: number;
  readonly devices: { readonly total: number; readonly online: number; readonly offline: number };
  readonly areas: { id: string; name: string; parentId: string | null }[];
}

export interface DeviceView {
  readonly id: string;
  readonly sn: string;
  readonly name: string;
  readonly model: string | null;
  readonly firmware: string | null;
  readonly online: boolean;
  readonly lastSeenAt: string | null;
  readonly areaId: string | null;
  readonly areaName: string | null;
}

export interface DeviceQuery extends PageQuery {
  readonly areaId?: string;
  readonly status?: 'online' | 'offline';
}

// ---- admin: alarms and access records

export interface AlarmSummary {
  readonly total: number;
  readonly unconfirmed: number;
  readonly confirmed: number;
}

export interface AlarmView {
  readonly id: string;
  readonly eventId: string;
  readonly time: string;
  readonly level: 'exception' | 'alarm';
  readonly confirmed: boolean;
  readonly eventCode: number;
  readonly eventName: string;
  readonly description: string;
  readonly deviceId: string | null;
  readonly deviceName: string | null;
  readonly doorId: string | null;
  readonly doorName: string | null;
  readonly areaName: string | null;
  readonly hasPicture: boolean;
  readonly pictureUrl: string;
}

export interface AlarmDetailView extends AlarmView {
  readonly areaId: string | null;
  readonly deviceSn: string;
  readonly source: string;
  readonly pin: string | null;
  readonly personName: string | null;
  readonly verifyMode: string | null;
  readonly confirmedBy: string | null;
  readonly confirmedAt: string | null;
  readonly remark: string | null;
}

export interface AlarmQuery extends PageQuery {
  readonly q?: string;
  readonly from?: string;
  readonly to?: string;
  readonly level?: 'exception' | 'alarm';
  readonly resource?: 'device' | 'door';
  readonly resourceId?: string;
  /** true: confirmed only; false: unconfirmed only. */
  readonly confirmed?: boolean;
  readonly today?: boolean;
}

export interface AccessRecordView {
  readonly id: string;
  readonly time: string;
  readonly eventCode: number;
  readonly eventName: string;
  readonly level: string;
  readonly granted: boolean;
  readonly pin: string | null;
  readonly personName: string | null;
  readonly cardNo: string | null;
  readonly verifyMode: string | null;
  readonly direction: 'in' | 'out' | null;
  readonly deviceId: string | null;
  readonly deviceName: string | null;
  readonly doorId: string | null;
  readonly doorName: string | null;
  readonly areaName: string | null;
  readonly hasPicture: boolean;
  readonly pictureUrl: string | null;
}

export interface AccessRecordQuery extends PageQuery {
  readonly q?: string;
  readonly from?: string;
  readonly to?: string;
  readonly doorId?: string;
  readonly deviceId?: string;
  readonly personId?: string;
}

// ---- admin: remote control and lockdown

export interface DoorView {
  readonly id: string;
  readonly name: string;
  readonly doorNo: number;
  readonly deviceId: string;
  readonly deviceName: string;
  readonly deviceOnline: boolean;
  readonly areaName: string | null;
  readonly sensorState: string;
  readonly lockedDown: boolean;
  readonly alarmState: number;
}

export interface DoorQuery extends PageQuery {
  readonly areaId?: string;
  readonly q?: string;
}

export interface CommandOutcome {
  readonly commandId: string;
  readonly status: 'acked' | 'failed' | 'pending';
  readonly returnCode: number | null;
}

export interface LockdownGroupView {
  readonly id: string;
  readonly name: string;
  readonly mode: string;
  readonly active: boolean;
  readonly status: 'Under Lockdown' | 'Normal';
  readonly activatedBy: string | null;
  readonly activatedAt: string | null;
  readonly doorCount: number;
}

// ---- admin: visitors

export type VisitStatus = 'reserved' | 'checked_in' | 'checked_out';
export type PhotoKind = 'visitor' | 'plate' | 'goods';

export interface VisitView {
  readonly id: string;
  readonly visitorId: string;
  readonly visitorName: string;
  readonly contact: string | null;
  readonly hostPersonId: string | null;
  readonly hostName: string | null;
  readonly reason: string | null;
  readonly startAt: string;
  readonly endAt: string | null;
  readonly status: VisitStatus;
  readonly checkedInAt: string | null;
  readonly checkedOutAt: string | null;
  readonly photos: { readonly kind: PhotoKind; readonly url: string }[];
  readonly invitationId: string | null;
}

export interface VisitSummary {
  readonly visitors: number;
  readonly notCheckedOut: number;
  readonly checkedIn: number;
}

export interface VisitStatistics {
  readonly todayByHour: { readonly hour: number; readonly count: number }[];
  readonly topVisitorsThisMonth: { readonly name: string; readonly visits: number }[];
}

export interface VisitQuery extends PageQuery {
  readonly q?: string;
  readonly status?: VisitStatus;
  readonly today?: boolean;
}

export interface RegisterVisit {
  readonly name: string;
  readonly contact?: string;
  readonly idNumber?: string;
  /** The host: hostPersonId or hostPin. */
  readonly hostPersonId?: string;
  readonly hostPin?: string;
  readonly startAt: string;
  readonly endAt?: string;
  readonly reason?: string;
  /** JPEG or PNG, base64 without a data: prefix. */
  readonly photo?: string;
  readonly platePhoto?: string;
  readonly goodsPhoto?: string;
}

export interface HostView {
  readonly id: string;
  readonly pin: string;
  readonly name: string;
}

// ---- admin: people

export interface PersonView {
  readonly id: string;
  readonly pin: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly name: string;
  readonly cardNo: string | null;
  readonly department: string | null;
  readonly email: string | null;
  readonly appLoginEnabled: boolean;
  readonly passwordSet: boolean;
  readonly guardianIds: string[];
  readonly createdAt: string;
}

export interface CreatePerson {
  readonly pin: string;
  readonly firstName: string;
  readonly lastName?: string;
  readonly cardNo?: string;
  readonly department?: string;
  readonly email?: string;
  readonly appLoginEnabled?: boolean;
  readonly password?: string;
}

export interface UpdatePerson {
  readonly firstName?: string;
  readonly lastName?: string;
  readonly cardNo?: string;
  readonly department?: string;
  readonly password?: string;
}

export interface PersonQuery extends PageQuery {
  readonly q?: string;
}

// ---- personnel

export interface CredentialQr {
  /** The text in the QR code (`LBQ1.<pin>.<8 digits>`). */
  readonly code: string;
  readonly expiresAt: string;
  readonly refreshSeconds: number;
  /** PNG data URL. */
  readonly png: string;
}

export interface InvitationView {
  readonly id: string;
  readonly firstName: string;
  readonly lastName: string | null;
  readonly email: string;
  readonly mobile: string | null;
  readonly startAt: string;
  readonly endAt: string;
  readonly reason: string | null;
  readonly visitorCount: number;
  readonly remarks: string | null;
  readonly status: string;
  readonly usedAt: string | null;
  readonly createdAt: string;
}

export interface InvitationCreated {
  readonly invitation: InvitationView;
  readonly qr: { readonly code: string; readonly png: string };
  readonly mail: { readonly to: string; readonly messageId: string };
}

export interface CreateInvitation {
  readonly firstName: string;
  readonly lastName?: string;
  readonly email: string;
  readonly mobile?: string;
  readonly startAt: string;
  readonly endAt: string;
  readonly reason?: string;
  /** 1–50, default 1. */
  readonly visitorCount?: number;
  readonly remarks?: string;
}

export interface Reinvite {
  readonly startAt?: string;
  readonly endAt?: string;
}

// ---- both roles

export interface MeView {
  readonly role: Role;
  readonly account: {
    readonly id: string;
    readonly username: string;
    readonly name: string;
    readonly department: string | null;
  };
  readonly organisation: { readonly siteId: string; readonly name: string };
  readonly notificationsEnabled: boolean;
  readonly privacyPolicyUrl: string;
  readonly version: string;
}

export interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly body: string;
  readonly eventId: string | null;
  readonly read: boolean;
  readonly createdAt: string;
}

export interface NotificationQuery extends PageQuery {
  readonly unread?: boolean;
}

export interface PrivacyPolicy {
  readonly text: string;
  readonly version: string;
}

// ---- broker: background push

/** What a Web Push subscription (PushSubscription.toJSON()) or a native adapter provides. */
export interface PushSubscriptionInput {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface PushSubscriptionView {
  readonly id: string;
  readonly endpoint?: string;
  readonly createdAt?: string;
  readonly [key: string]: unknown;
}
