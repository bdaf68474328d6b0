import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { fieldCipher } from '../crypto/field-cipher';
import { SiteSettingRepository } from '../database/site-setting.repository';
import type { JsonValue } from '../database/site-setting.entity';
import { ed25519Thumbprint, publicJwk, type PublicJwk, type SigningKey } from './access-token';

export const SITE_ID_KEY = 'site.id';
export const SIGNING_KEY_KEY = 'auth.signing-key';

interface StoredSigningKey {
  readonly kid: string;
  /** PKCS#8 PEM, sealed with the field cipher (AES-256-GCM). */
  readonly privateKeySealed: string;
}

function isStoredKey(v: JsonValue | undefined): v is { kid: string; privateKeySealed: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof v.kid === 'string' &&
    typeof v.privateKeySealed === 'string'
  );
}

/**
 * The site's identity for mobile tokens: a stable site id (`iss`) and an Ed25519 signing key,
 * both made on first boot and kept in site_setting (the private key encrypted at rest). The
 * broker verifies tokens with the public half, published as a JWKS.
 */
@Injectable()
export class SiteKeyService implements OnModuleInit {
  private readonly logger: Logger;
  private key: SigningKey | undefined;
  private id: string | undefined;

  constructor(
    private readonly settings: SiteSettingRepository,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'site-key' });
  }

  async onModuleInit(): Promise<void> {
    await this.settings.insertIfAbsent(SITE_ID_KEY, randomUUID());
    const idRow = await this.settings.get(SITE_ID_KEY);
    if (typeof idRow?.value !== 'string') throw new Error(`site_setting ${SITE_ID_KEY} is not a string`);
    this.id = idRow.value;

    let row = await this.settings.get(SIGNING_KEY_KEY);
    if (row === undefined) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const stored: StoredSigningKey = {
        kid: ed25519Thumbprint(createPublicKey(privateKey)),
        privateKeySealed: fieldCipher().encryptText(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
      };
      // Two processes booting at once both try; whichever row landed first is the key.
      if (await this.settings.insertIfAbsent(SIGNING_KEY_KEY, { ...stored })) {
        this.logger.info({ kid: stored.kid }, 'site signing key created');
      }
      row = await this.settings.get(SIGNING_KEY_KEY);
    }
    if (!isStoredKey(row?.value)) throw new Error(`site_setting ${SIGNING_KEY_KEY} is malformed`);
    const privateKey = createPrivateKey(fieldCipher().decryptText(row.value.privateKeySealed));
    this.key = { kid: row.value.kid, privateKey, publicKey: createPublicKey(privateKey) };
  }

  get siteId(): string {
    if (this.id === undefined) throw new Error('SiteKeyService used before initialisation');
    return this.id;
  }

  get signingKey(): SigningKey {
    if (this.key === undefined) throw new Error('SiteKeyService used before initialisation');
    return this.key;
  }

  publicKeyFor(kid: string): KeyObject | undefined {
    return this.key?.kid === kid ? this.key.publicKey : undefined;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: [publicJwk(this.signingKey)] };
  }
}
