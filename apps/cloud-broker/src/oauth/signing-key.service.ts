import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { jwkThumbprint } from '../connectors/connector-key';

export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: PublicJwk;
}

export class JwsError extends Error {
  override readonly name = 'JwsError';
}

function toJwk(pub: KeyObject, kid: string): PublicJwk {
  const j = pub.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: String(j.x), kid, alg: 'EdDSA', use: 'sig' };
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

/**
 * The deployment's Ed25519 signing keys (JWS, EdDSA). The newest is used for signing; retired
 * keys stay in the JWKS so what they signed still verifies (rotation by overlap). Keys live in
 * the database (made on first boot, shared by every replica) unless OAUTH_SIGNING_KEY_FILE is set.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly sql: Sql;
  private keys: SigningKey[] = [];

  constructor(
    dataSource: DataSource,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    this.sql = new Sql(dataSource);
  }

  async onModuleInit(): Promise<void> {
    const file = this.config.accounts.signingKeyFile;
    if (file) {
      const privateKey = createPrivateKey(readFileSync(file));
      if (privateKey.asymmetricKeyType !== 'ed25519')
        throw new Error('OAUTH_SIGNING_KEY_FILE must hold an Ed25519 key');
      const pub = createPublicKey(privateKey);
      const kid = jwkThumbprint(pub);
      this.keys = [{ kid, privateKey, jwk: toJwk(pub, kid) }];
      return;
    }
    await this.load();
    if (this.keys.length === 0) {
      await this.insertNewKey();
      await this.load();
    }
  }

  /** Makes a new signing key; the old ones stay published. */
  async rotate(): Promise<string> {
    await this.sql.rows(`UPDATE ${this.sql.t('signing_key')} SET "retired_at" = now() WHERE "retired_at" IS NULL`);
    const kid = await this.insertNewKey();
    await this.load();
    return kid;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.map((k) => k.jwk) };
  }

  currentKid(): string {
    return this.current().kid;
  }

  /** Compact JWS, header `{alg:"EdDSA", kid, typ}`. */
  signJws(payload: Record<string, unknown>, opts: { typ: string }): string {
    const key = this.current();
    const input = `${b64json({ alg: 'EdDSA', kid: key.kid, typ: opts.typ })}.${b64json(payload)}`;
    return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
  }

  /** Checks alg, typ, kid and signature (not claims); returns the payload. Throws JwsError. */
  verifyJws(jws: string, opts: { typ: string }): Record<string, unknown> {
    const parts = jws.split('.');
    if (parts.length !== 3) throw new JwsError('not a compact JWS');
    const [h, p, s] = parts as [string, string, string];
    let header: unknown;
    let payload: unknown;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      throw new JwsError('JWS parts are not JSON');
    }
    const hd = header as { alg?: unknown; kid?: unknown; typ?: unknown };
    if (hd.alg !== 'EdDSA') throw new JwsError('alg must be EdDSA');
    if (hd.typ !== opts.typ) throw new JwsError(`typ must be ${opts.typ}`);
    const key = this.keys.find((k) => k.kid === hd.kid);
    if (!key) throw new JwsError('unknown kid');
    const ok = verify(null, Buffer.from(`${h}.${p}`), createPublicKey(key.privateKey), Buffer.from(s, 'base64url'));
    if (!ok) throw new JwsError('bad signature');
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw new JwsError('payload is not an object');
    return payload as Record<string, unknown>;
  }

  private current(): SigningKey {
    const k = this.keys[0];
    if (!k) throw new Error('no signing key loaded');
    return k;
  }

  private async load(): Promise<void> {
    const rows = await this.sql.rows<{ kid: string; private_pem: string }>(
      `SELECT "kid", "private_pem" FROM ${this.sql.t('signing_key')} ORDER BY ("retired_at" IS NULL) DESC, "created_at" DESC`,
    );
    this.keys = rows.map((r) => {
      const privateKey = createPrivateKey(r.private_pem);
      return { kid: r.kid, privateKey, jwk: toJwk(createPublicKey(privateKey), r.kid) };
    });
  }

  private async insertNewKey(): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = jwkThumbprint(publicKey);
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('signing_key')} ("kid", "private_pem", "public_jwk") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [kid, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), JSON.stringify(toJwk(publicKey, kid))],
    );
    return kid;
  }
}
