import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { fieldCipher } from '../crypto/field-cipher';
import { SiteSettingRepository } from '../database/site-setting.repository';
import type { JsonValue } from '../database/site-setting.entity';
import { ed25519Thumbprint, publicJwk, type PublicJwk, type SigningKey } from './access-token';
import { encryptionJwk, okpThumbprint, type EncryptionJwk, type EncryptionKey } from './site-hello';

export const SITE_ID_KEY = 'site.id';
export const SIGNING_KEY_KEY = 'auth.signing-key';
export const ENCRYPTION_KEY_KEY = 'auth.encryption-key';

interface StoredKey {
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
 * The site's identity for mobile tokens: a stable site id (`iss`), an Ed25519 signing key and
 * an X25519 encryption key (for the end-to-end encrypted login), all made on first boot and
 * kept in site_setting (private keys encrypted at rest). Both public halves are published as a
 * JWKS: the broker verifies tokens with the first, phones encrypt their login to the second.
 */
@Injectable()
export class SiteKeyService implements OnModuleInit {
  private readonly logger: Logger;
  private key: SigningKey | undefined;
  private encKey: EncryptionKey | undefined;
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

    this.key = await this.loadOrCreate(SIGNING_KEY_KEY, 'ed25519', (pub) => ed25519Thumbprint(pub));
    this.encKey = await this.loadOrCreate(ENCRYPTION_KEY_KEY, 'x25519', (pub) => okpThumbprint(pub, 'X25519'));
  }

  private async loadOrCreate(
    settingKey: string,
    type: 'ed25519' | 'x25519',
    thumbprint: (publicKey: KeyObject) => string,
  ): Promise<{ kid: string; privateKey: KeyObject; publicKey: KeyObject }> {
    let row = await this.settings.get(settingKey);
    if (row === undefined) {
      const { privateKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('x25519');
      const stored: StoredKey = {
        kid: thumbprint(createPublicKey(privateKey)),
        privateKeySealed: fieldCipher().encryptText(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
      };
      // Two processes booting at once both try; whichever row landed first is the key.
      if (await this.settings.insertIfAbsent(settingKey, { ...stored })) {
        this.logger.info({ kid: stored.kid, key: settingKey }, `site ${type} key created`);
      }
      row = await this.settings.get(settingKey);
    }
    if (!isStoredKey(row?.value)) throw new Error(`site_setting ${settingKey} is malformed`);
    const privateKey = createPrivateKey(fieldCipher().decryptText(row.value.privateKeySealed));
    if (privateKey.asymmetricKeyType !== type) throw new Error(`site_setting ${settingKey} is not an ${type} key`);
    return { kid: row.value.kid, privateKey, publicKey: createPublicKey(privateKey) };
  }

  get siteId(): string {
    if (this.id === undefined) throw new Error('SiteKeyService used before initialisation');
    return this.id;
  }

  get signingKey(): SigningKey {
    if (this.key === undefined) throw new Error('SiteKeyService used before initialisation');
    return this.key;
  }

  get encryptionKey(): EncryptionKey {
    if (this.encKey === undefined) throw new Error('SiteKeyService used before initialisation');
    return this.encKey;
  }

  /** The signing key of `kid` (access tokens are only ever verified with it). */
  publicKeyFor(kid: string): KeyObject | undefined {
    return this.key?.kid === kid ? this.key.publicKey : undefined;
  }

  jwks(): { keys: (PublicJwk | EncryptionJwk)[] } {
    return { keys: [publicJwk(this.signingKey), encryptionJwk(this.encryptionKey)] };
  }
}
