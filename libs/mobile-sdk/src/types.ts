/**
 * Shapes of the site API (apps/access-core/src/mobile/README.md), as the app sees them.
 * Times are ISO 8601 strings; ids are UUIDs.
 */
import type { VisitStatus } from '@lanbridge/mobile-api';
export type {
  AlarmView,
  AlarmDetailView,
  AccessRecordView,
  NotificationView,
  CommandOutcome,
  Page,
  TokenPair,
  Dashboard,
  DeviceView,
  AlarmSummary,
  DoorView,
  LockdownGroupView,
  VisitStatus,
  PhotoKind,
  VisitView,
  VisitSummary,
  VisitStatistics,
  HostView,
  PersonView,
  CredentialQr,
  InvitationView,
  InvitationCreated,
  MeView,
} from '@lanbridge/mobile-api';

export interface PageQuery {
  /** ≥ 1, default 1. */
  readonly page?: number;
  /** 1–100, default 20. */
  readonly pageSize?: number;
  /** By time; default desc. */
  readonly order?: 'asc' | 'desc';
}

// ---- admin: dashboard and devices

export interface DeviceQuery extends PageQuery {
  readonly areaId?: string;
  readonly status?: 'online' | 'offline';
}

// ---- admin: alarms and access records

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

export interface AccessRecordQuery extends PageQuery {
  readonly q?: string;
  readonly from?: string;
  readonly to?: string;
  readonly doorId?: string;
  readonly deviceId?: string;
  readonly personId?: string;
}

// ---- admin: remote control and lockdown

export interface DoorQuery extends PageQuery {
  readonly areaId?: string;
  readonly q?: string;
}

// ---- admin: visitors

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

// ---- admin: people

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
