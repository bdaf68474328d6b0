/** Outgoing mail server as stored (the password sealed with the field cipher). */
export interface MailServerSettings {
  readonly host: string;
  readonly port: number;
  /** true: TLS from the first byte (port 465); false: plain, upgraded by STARTTLS when offered. */
  readonly secure: boolean;
  readonly user: string | null;
  readonly password: string | null;
  /** Sender address, e.g. "Front desk <desk@example.com>". */
  readonly from: string;
}

/** What the API returns: never the password, only whether one is set. */
export interface MailServerView {
  readonly configured: boolean;
  readonly host: string | null;
  readonly port: number | null;
  readonly secure: boolean;
  readonly user: string | null;
  readonly passwordSet: boolean;
  readonly from: string | null;
  readonly updatedAt: string | null;
}

export interface CloudSettings {
  /** Push alarms and messages to the app through the cloud (also in the background). */
  readonly pushToApp: boolean;
  /** Push device name, status, firmware and event logs to the cloud. */
  readonly pushDataToCloud: boolean;
}

/** How the cloud uplink (CLOUD_UPLINK_URL) is doing, as shown with the cloud settings. */
export interface UplinkStatus {
  /** not-configured: no CLOUD_UPLINK_URL; failing: the last delivery attempt failed. */
  readonly uplink: 'not-configured' | 'ok' | 'failing';
  /** Items waiting in the outbox. */
  readonly pending: number;
  /** What the last failed attempt ran into, until a delivery succeeds again. */
  readonly lastError: string | null;
}

export type CloudSettingsView = CloudSettings & UplinkStatus;
