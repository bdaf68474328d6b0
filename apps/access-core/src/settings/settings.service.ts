import { Injectable } from '@nestjs/common';
import { fieldCipher } from '../crypto/field-cipher';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { DomainEvents } from '../events/domain-events';
import type { JsonValue } from '../database/site-setting.entity';
import type { CloudSettings, MailServerSettings, MailServerView } from './settings.types';

export const MAIL_SERVER_KEY = 'mail.server';
export const CLOUD_SETTINGS_KEY = 'cloud.settings';

const DEFAULT_CLOUD: CloudSettings = { pushToApp: false, pushDataToCloud: false };

type JsonObject = { [key: string]: JsonValue };

function obj(v: JsonValue | undefined): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
}
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

export interface MailServerInput {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user?: string | null;
  /** undefined keeps the stored password, null clears it. */
  readonly password?: string | null;
  readonly from: string;
}

/** Site-wide settings of the mobile features, kept in site_setting. */
@Injectable()
export class SettingsService {
  constructor(
    private readonly settings: SiteSettingRepository,
    private readonly bus: DomainEvents,
  ) {}

  /** The mail server with its password decrypted, or undefined when none is configured. */
  async mailServer(): Promise<MailServerSettings | undefined> {
    const v = obj((await this.settings.get(MAIL_SERVER_KEY))?.value);
    const host = str(v?.host);
    const from = str(v?.from);
    if (!v || !host || !from || typeof v.port !== 'number') return undefined;
    const sealed = str(v.passwordSealed);
    return {
      host,
      port: v.port,
      secure: v.secure === true,
      user: str(v.user),
      password: sealed ? fieldCipher().decryptText(sealed) : null,
      from,
    };
  }

  async mailServerView(): Promise<MailServerView> {
    const row = await this.settings.get(MAIL_SERVER_KEY);
    const v = obj(row?.value);
    if (!row || !v || !str(v.host)) {
      return {
        configured: false,
        host: null,
        port: null,
        secure: false,
        user: null,
        passwordSet: false,
        from: null,
        updatedAt: null,
      };
    }
    return {
      configured: true,
      host: str(v.host),
      port: typeof v.port === 'number' ? v.port : null,
      secure: v.secure === true,
      user: str(v.user),
      passwordSet: str(v.passwordSealed) !== null,
      from: str(v.from),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  async setMailServer(input: MailServerInput): Promise<MailServerView> {
    const previous = obj((await this.settings.get(MAIL_SERVER_KEY))?.value);
    const passwordSealed =
      input.password === undefined
        ? str(previous?.passwordSealed)
        : input.password === null
          ? null
          : fieldCipher().encryptText(input.password);
    await this.settings.set(MAIL_SERVER_KEY, {
      host: input.host,
      port: input.port,
      secure: input.secure,
      user: input.user ?? null,
      passwordSealed,
      from: input.from,
    });
    return this.mailServerView();
  }

  async clearMailServer(): Promise<void> {
    // site_setting.value is NOT NULL: an empty object means "no mail server".
    await this.settings.set(MAIL_SERVER_KEY, {});
  }

  async cloud(): Promise<CloudSettings> {
    const v = obj((await this.settings.get(CLOUD_SETTINGS_KEY))?.value);
    if (!v) return DEFAULT_CLOUD;
    return {
      pushToApp: v.pushToApp === true,
      pushDataToCloud: v.pushDataToCloud === true,
    };
  }

  async setCloud(patch: Partial<CloudSettings>): Promise<CloudSettings> {
    const defined = Object.fromEntries(
      Object.entries(patch).filter(([, v]) => v !== undefined),
    ) as Partial<CloudSettings>;
    const previous = await this.cloud();
    const next = { ...previous, ...defined };
    await this.settings.set(CLOUD_SETTINGS_KEY, { ...next });
    this.bus.emit('cloud.settings', { previous, next });
    return next;
  }
}
