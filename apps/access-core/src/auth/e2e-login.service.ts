import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { compactDecrypt } from 'jose';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { refuseNul, validationException } from '../http/validation.pipe';
import { Clock } from '../system/clock';
import { LoginThrottledException } from './auth.service';
import { SealedLoginDto, type LoginDto } from './dto/login.dto';
import { HelloStore } from './hello-store';
import { LoginRateLimiter } from './login-rate-limiter';
import type { ClientInfo, Credentials } from './principal';
import {
  encryptionJwk,
  HELLO_TTL_SECONDS,
  HELLO_VERSION,
  isHelloNonce,
  LOGIN_JWE_ALG,
  LOGIN_JWE_ENC,
  signHello,
} from './site-hello';
import { SiteKeyService } from './site-key.service';

function credentialsOf(dto: LoginDto): Credentials {
  if (dto.type === 'admin' && dto.username !== undefined && dto.password !== undefined) {
    return { type: 'admin', username: dto.username, password: dto.password };
  }
  if (dto.type === 'personnel' && dto.pin !== undefined && dto.password !== undefined) {
    return { type: 'personnel', pin: dto.pin, password: dto.password };
  }
  throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, 'type and its credentials are required');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * End-to-end verifiable sign-in through the cloud (docs/mobile-path.md §2): a signed hello
 * proves the site's key to the phone, and the login travels encrypted to the site, so neither
 * the broker nor the connector ever sees a password.
 */
@Injectable()
export class E2eLoginService {
  private readonly logger: Logger;
  private readonly hellos = new HelloStore(HELLO_TTL_SECONDS * 1000);

  constructor(
    private readonly siteKey: SiteKeyService,
    private readonly limiter: LoginRateLimiter,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'e2e-login' });
  }

  /** Signs a hello answering `nonce`; counts against the client IP like a sign-in. */
  hello(nonce: string, client: ClientInfo): { hello: string } {
    const ip = client.ip ?? 'unknown';
    const wait = this.limiter.attemptIp(ip);
    if (wait > 0) {
      this.logger.warn({ ip, retryAfter: wait }, 'hello throttled');
      throw new LoginThrottledException(wait);
    }
    if (!isHelloNonce(nonce)) {
      throw new AccessCoreException(
        AccessCoreErrorCode.VALIDATION_FAILED,
        'nonce must be base64url (no padding) of 16-64 bytes',
        [{ field: 'nonce', problems: ['must be base64url of 16-64 bytes'] }],
      );
    }
    const now = this.clock.now().getTime();
    const iat = Math.floor(now / 1000);
    const hid = randomBytes(16).toString('base64url');
    this.hellos.remember(hid, nonce, now);
    const hello = signHello(this.siteKey.signingKey, {
      iss: this.siteKey.siteId,
      nonce,
      hid,
      enc: encryptionJwk(this.siteKey.encryptionKey),
      iat,
      exp: iat + HELLO_TTL_SECONDS,
      v: HELLO_VERSION,
    });
    return { hello };
  }

  /** The credentials of a login body: in clear, or opened from its JWE and matched to its hello. */
  async credentials(dto: LoginDto, client: ClientInfo): Promise<Credentials> {
    if (dto.jwe === undefined) return credentialsOf(dto);
    if (dto.type !== undefined || dto.username !== undefined || dto.pin !== undefined || dto.password !== undefined) {
      throw new AccessCoreException(
        AccessCoreErrorCode.VALIDATION_FAILED,
        'send either jwe or the plain credentials, not both',
        [{ field: 'jwe', problems: ['excludes type, username, pin and password'] }],
      );
    }
    const ip = client.ip ?? 'unknown';
    const wait = this.limiter.ipWait(ip);
    if (wait > 0) {
      this.logger.warn({ ip, retryAfter: wait }, 'encrypted sign-in throttled');
      throw new LoginThrottledException(wait);
    }
    const sealed = await this.open(dto.jwe, ip);
    if (!this.hellos.consume(sealed.hid, sealed.nonce, this.clock.now().getTime())) {
      this.limiter.attemptIp(ip);
      this.logger.warn({ ip }, 'encrypted sign-in refused: unknown, used or expired hello, or wrong nonce');
      throw new AccessCoreException(
        AccessCoreErrorCode.E2E_HELLO_INVALID,
        'the hello this login answers is unknown, used or expired, or its nonce differs; ask for a new hello',
      );
    }
    return credentialsOf(sealed);
  }

  private async open(jwe: string, ip: string): Promise<SealedLoginDto> {
    const key = this.siteKey.encryptionKey;
    let plaintext: Uint8Array;
    try {
      const result = await compactDecrypt(jwe, key.privateKey, {
        keyManagementAlgorithms: [LOGIN_JWE_ALG],
        contentEncryptionAlgorithms: [LOGIN_JWE_ENC],
      });
      if (result.protectedHeader.kid !== undefined && result.protectedHeader.kid !== key.kid) {
        throw new Error('kid names another key');
      }
      plaintext = result.plaintext;
    } catch (err) {
      this.decryptFailed(
        ip,
        err instanceof Error ? ((err as Error & { code?: string }).code ?? err.message) : 'unknown',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(plaintext).toString('utf8')) as unknown;
    } catch {
      this.decryptFailed(ip, 'plaintext is not JSON');
    }
    if (!isRecord(body)) this.decryptFailed(ip, 'plaintext is not a JSON object');
    if (body.jwe !== undefined) this.decryptFailed(ip, 'plaintext holds another jwe');
    if (typeof body.hid !== 'string' || typeof body.nonce !== 'string') {
      this.limiter.attemptIp(ip);
      this.logger.warn({ ip }, 'encrypted sign-in refused: no hid or nonce');
      throw new AccessCoreException(
        AccessCoreErrorCode.E2E_HELLO_INVALID,
        'the login must carry the hid and nonce of its hello',
      );
    }
    refuseNul(body);
    const dto = plainToInstance(SealedLoginDto, body);
    const errors = validateSync(dto, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
    if (errors.length > 0) throw validationException(errors);
    return dto;
  }

  private decryptFailed(ip: string, reason: string): never {
    this.limiter.attemptIp(ip);
    this.logger.warn({ ip, reason }, 'encrypted sign-in refused: cannot decrypt');
    throw new AccessCoreException(
      AccessCoreErrorCode.E2E_DECRYPT_FAILED,
      `the login cannot be decrypted; encrypt it to the site's X25519 key with ${LOGIN_JWE_ALG} and ${LOGIN_JWE_ENC}`,
    );
  }
}
