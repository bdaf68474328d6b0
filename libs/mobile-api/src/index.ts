/**
 * The site API's response shapes (access-core `/api/v1`), shared by the server that produces them
 * and the mobile SDK that reads them: one definition, so the two cannot drift apart.
 */

/** Who signed in. */
export type Role = 'admin' | 'personnel';
export type VisitStatus = 'reserved' | 'checked_in' | 'checked_out';
export type PhotoKind = 'visitor' | 'plate' | 'goods';

export interface Page<T> {
  readonly items: T[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
}

/** Body of login and refresh responses. */
export interface TokenPair {
  readonly tokenType: 'Bearer';
  readonly accessToken: string;
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly refreshToken: string;
  /** Absolute end of the session family; refreshing never extends it. */
  readonly refreshExpiresAt: string;
  readonly role: Role;
  readonly siteId: string;
}

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
  /** `pending`: an unknown terminal waiting for an operator; `rejected`: refused. */
  readonly approval: 'pending' | 'approved' | 'rejected';
  /** The address its last registration came from. */
  readonly ip: string | null;
  /** When the site first heard of it (or it was provisioned). */
  readonly firstSeenAt: string;
  /** Who approved or rejected it (`operator:<name>`) and when; null for a device never decided on. */
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
}

/**
 * A line a terminal uploaded that could not be stored, set aside for an operator
 * (`GET /api/v1/push/rejected-lines`).
 */
export interface RejectedLineView {
  readonly id: string;
  readonly deviceSn: string;
  /** Null when the device is unknown or was deleted since. */
  readonly deviceId: string | null;
  /** The terminal's address as access-core saw it. */
  readonly ip: string | null;
  /** `/iclock/<endpoint>`: `cdata`, `registry`, `devicecmd`, `querydata`. */
  readonly endpoint: string;
  /** The upload table (`rtlog`, `rtstate`, `ATTLOG`, `options`), or null (registry, command results). */
  readonly table: string | null;
  readonly reason: string;
  /** The line as received (UTF-8; a NUL shows as U+0000), its first 8 KiB. */
  readonly raw: string;
  /** The line's full length in bytes. */
  readonly rawBytes: number;
  /** True when `raw` holds only the first 8 KiB. */
  readonly truncated: boolean;
  /** How often this device sent this very line (a terminal re-sends an upload it thinks failed). */
  readonly times: number;
  readonly firstReceivedAt: string;
  readonly lastReceivedAt: string;
}

export interface AlarmSummary {
  readonly total: number;
  readonly unconfirmed: number;
  readonly confirmed: number;
}

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

export interface LockdownGroupView {
  readonly id: string;
  readonly name: string;
  readonly mode: string;
  readonly active: boolean;
  /** "Under Lockdown" while active, else "Normal". */
  readonly status: 'Under Lockdown' | 'Normal';
  readonly activatedBy: string | null;
  readonly activatedAt: string | null;
  readonly doorCount: number;
}

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
  /** URLs of the photos present (visitor, plate, goods). */
  readonly photos: { readonly kind: PhotoKind; readonly url: string }[];
  readonly invitationId: string | null;
}

export interface VisitSummary {
  /** Visits scheduled to start today. */
  readonly visitors: number;
  /** Visitors checked in and not yet checked out (any day). */
  readonly notCheckedOut: number;
  /** Check-ins today. */
  readonly checkedIn: number;
}

export interface VisitStatistics {
  /** Check-ins today, hour by hour (24 entries, local time). */
  readonly todayByHour: { readonly hour: number; readonly count: number }[];
  readonly topVisitorsThisMonth: { readonly name: string; readonly visits: number }[];
}

export interface HostView {
  readonly id: string;
  readonly pin: string;
  readonly name: string;
}

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
  /** `/api/v1/people/<id>/photo` when the person has a photo. */
  readonly photoUrl: string | null;
  readonly guardianIds: string[];
  readonly createdAt: string;
}

export interface CredentialQr {
  /** The text in the QR code. */
  readonly code: string;
  /** The last moment a terminal accepts this code (on the site's clock): always at least one step away. */
  readonly expiresAt: string;
  /** Seconds between new codes: show the next one after this long, well before `expiresAt`. */
  readonly refreshSeconds: number;
  /** The QR code as a PNG data URL. */
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

/** The success screen: the invitation and its single-use QR (shown once, never stored). */
export interface InvitationCreated {
  readonly invitation: InvitationView;
  readonly qr: { readonly code: string; readonly png: string };
  readonly mail: { readonly to: string; readonly messageId: string };
}

export interface MeView {
  readonly role: Role;
  readonly account: {
    readonly id: string;
    /** Operator user name, or personnel id. */
    readonly username: string;
    readonly name: string;
    readonly department: string | null;
  };
  readonly organisation: { readonly siteId: string; readonly name: string };
  readonly notificationsEnabled: boolean;
  readonly privacyPolicyUrl: string;
  readonly version: string;
}

export interface AlarmView {
  readonly id: string;
  readonly eventId: string;
  readonly time: string;
  readonly level: 'exception' | 'alarm';
  readonly confirmed: boolean;
  readonly eventCode: number;
  readonly eventName: string;
  /** What happened on which device, e.g. "Door forced open on Lobby terminal (Door 1)". */
  readonly description: string;
  readonly deviceId: string | null;
  readonly deviceName: string | null;
  readonly doorId: string | null;
  readonly doorName: string | null;
  readonly areaName: string | null;
  readonly hasPicture: boolean;
  /** The captured picture, or the default picture when there is none. */
  readonly pictureUrl: string;
}

export interface AlarmDetailView extends AlarmView {
  readonly areaId: string | null;
  readonly deviceSn: string;
  /** Where on the device it happened: the door, or the device itself. */
  readonly source: string;
  readonly pin: string | null;
  readonly personName: string | null;
  readonly verifyMode: string | null;
  readonly confirmedBy: string | null;
  readonly confirmedAt: string | null;
  readonly remark: string | null;
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

export interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly body: string;
  readonly eventId: string | null;
  readonly read: boolean;
  readonly createdAt: string;
}

/** What a remote command came to: acked/failed by the terminal, or still pending after the wait. */
export interface CommandOutcome {
  readonly commandId: string;
  readonly status: 'acked' | 'failed' | 'pending';
  readonly returnCode: number | null;
}
