import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import QRCode from 'qrcode';
import { fieldCipher } from '../crypto/field-cipher';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { AccessLevelRepository } from '../domain/access-level.repository';
import { DoorRepository } from '../domain/device.repository';
import { PersonRepository } from '../domain/person.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import {
  RemoteVerificationService,
  type CodeVerifier,
  type VerifyContext,
  type VerifyOutcome,
} from '../terminals/remote-verification.service';
import {
  dynamicCode,
  otpMatches,
  parseDynamicCode,
  personQrSecret,
  qrStep,
  QR_SKEW_STEPS,
  QR_STEP_SECONDS,
} from './qr-codes';
import type { CredentialQr } from '@lanbridge/mobile-api';
export type { CredentialQr } from '@lanbridge/mobile-api';

export const QR_SECRET_KEY = 'auth.qr-secret';

/**
 * My Credentials: the dynamic personnel QR, and its verifier for the terminals' remote
 * verification (the person must hold an access level with the door, as for a card).
 */
@Injectable()
export class CredentialsService implements OnModuleInit, CodeVerifier {
  readonly name = 'personnel-qr';
  private siteSecret: Buffer | undefined;

  constructor(
    private readonly settings: SiteSettingRepository,
    private readonly people: PersonRepository,
    private readonly levels: AccessLevelRepository,
    private readonly doors: DoorRepository,
    private readonly verification: RemoteVerificationService,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.settings.insertIfAbsent(QR_SECRET_KEY, fieldCipher().encryptText(randomBytes(32).toString('base64')));
    const row = await this.settings.get(QR_SECRET_KEY);
    if (typeof row?.value !== 'string') throw new Error(`site_setting ${QR_SECRET_KEY} is malformed`);
    this.siteSecret = Buffer.from(fieldCipher().decryptText(row.value), 'base64');
    this.verification.register(this);
  }

  async currentQr(personId: string): Promise<CredentialQr> {
    const person = await this.people.findById(personId);
    if (!person || person.disabled) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, 'no such person');
    const step = qrStep(this.clock.now().getTime());
    const code = dynamicCode(this.secretOf(personId), person.pin, step);
    return {
      code,
      // Accepted up to the end of the next step (see otpMatches), so a code fetched in the last
      // moment of its step still has a full step to be scanned.
      expiresAt: new Date((step + 1 + QR_SKEW_STEPS) * QR_STEP_SECONDS * 1000).toISOString(),
      refreshSeconds: QR_STEP_SECONDS,
      png: await QRCode.toDataURL(code, { errorCorrectionLevel: 'M', margin: 2, width: 320 }),
    };
  }

  async verifyCode(code: string, ctx: VerifyContext): Promise<VerifyOutcome> {
    const parsed = parseDynamicCode(code);
    if (!parsed) return { ok: false, reason: 'not a personnel QR' };
    const person = await this.people.findByPin(parsed.pin);
    if (!person || person.disabled) return { ok: false, reason: 'unknown or disabled person' };
    if (!otpMatches(this.secretOf(person.id), person.pin, parsed.otp, qrStep(this.clock.now().getTime()))) {
      return { ok: false, reason: 'personnel QR expired or wrong' };
    }
    const door = await this.doors.findByDeviceAndNo(ctx.deviceId, ctx.doorNo);
    if (!door) return { ok: false, reason: 'unknown door' };
    for (const level of await this.levels.levelsOfPerson(person.id)) {
      if ((await this.levels.doorIds(level.id)).includes(door.id)) return { ok: true, pin: person.pin };
    }
    return { ok: false, reason: 'no access level for this door' };
  }

  private secretOf(personId: string): Buffer {
    if (!this.siteSecret) throw new Error('CredentialsService used before initialisation');
    return personQrSecret(this.siteSecret, personId);
  }
}
