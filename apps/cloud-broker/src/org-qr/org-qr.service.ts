import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { PortalDirectory } from '../connector-admin/portal-directory';
import { SigningKeyService } from '../oauth/signing-key.service';
import { SiteTrustService } from '../site-trust/site-trust.service';
import {
  ORG_QR_AUDIENCE,
  ORG_QR_TYP,
  ORG_QR_VERSION,
  type OrgQrClaims,
  OrgQrError,
  OrgQrErrorCode,
  orgQrPayload,
  sktOf,
  tokenFromPayload,
  verifyOrgQr,
} from './org-qr-jws';
import { OrgQrRepository, type OrgQrTokenRecord } from './org-qr.repository';

/** Printed QR codes live about a year (docs/architecture.md, "The organisation QR"); rotation revokes earlier. */
export const ORG_QR_LIFETIME_S = 365 * 24 * 3600;

export interface OrgQr {
  readonly jti: string;
  readonly token: string;
  /** What the QR code encodes: `<issuer>/o#<JWS>`. */
  readonly payload: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** What the mobile app learns from a resolved QR, before it sends any credential. */
export interface ResolvedOrg {
  readonly orgId: string;
  readonly name: string;
  readonly apiBaseUrl: string;
  readonly issuer: string;
  readonly version: number;
  readonly expiresAt: string;
  /** A live tunnel on this broker node right now (a hint; another node may hold it). */
  readonly online: boolean;
  /**
   * RFC 7638 thumbprint of the on-prem site's signing key as the broker has recorded it now
   * (null while unknown). The app checks it equals the `skt` of the QR it verified.
   */
  readonly skt: string | null;
  /** Same as `skt` (the field's earlier name). */
  readonly siteKeyThumbprint: string | null;
}

@Injectable()
export class OrgQrService {
  constructor(
    private readonly repo: OrgQrRepository,
    private readonly keys: SigningKeyService,
    private readonly directory: PortalDirectory,
    private readonly siteTrust: SiteTrustService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  get issuer(): string {
    return new URL(this.config.publicUrl).origin;
  }

  /**
   * The organisation's live QR, issued on first use. A live QR that does not carry the site key
   * the broker now knows (issued before the key was learnt, or the key changed) is rotated away
   * and a new one issued.
   */
  async current(orgId: string): Promise<OrgQr> {
    const live = await this.repo.findLive(orgId);
    if (!live) return this.view(await this.issue(orgId, 'none'));
    const skt = (await this.siteTrust.siteKey(orgId))?.thumbprint;
    const fresh = live.expiresAt.getTime() > Date.now() + 24 * 3600 * 1000;
    if (fresh && (skt === undefined || sktOf(live.token) === skt)) return this.view(live);
    return this.view(await this.issue(orgId, { liveJti: live.jti }));
  }

  /** Revokes the live QR and issues a new one. */
  async rotate(orgId: string): Promise<{ previous: string | undefined; next: OrgQr }> {
    const live = await this.repo.findLive(orgId);
    const next = await this.issue(orgId, 'any');
    return { previous: live?.jti, next: this.view(next) };
  }

  async png(orgId: string): Promise<Buffer> {
    const qr = await this.current(orgId);
    return QRCode.toBuffer(qr.payload, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 });
  }

  async svg(orgId: string): Promise<string> {
    const qr = await this.current(orgId);
    return QRCode.toString(qr.payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  }

  /**
   * Re-checks a scanned token: signature against this broker's keys (never a key named by the
   * token), type, issuer, audience, times, version; then that it is the organisation's live
   * token (not rotated away), the organisation exists and it has a connector that is not
   * revoked. Online is reported, not required: the tunnel may sit on another broker node.
   */
  async resolve(tokenOrPayload: string): Promise<ResolvedOrg> {
    const claims = verifyOrgQr(tokenFromPayload(tokenOrPayload.trim()), {
      keyFor: (kid) => this.publicKey(kid),
      issuer: this.issuer,
    });
    const row = await this.repo.findByJti(claims.jti);
    if (!row || row.revokedAt !== null || row.orgId !== claims.sub) {
      throw new OrgQrError(OrgQrErrorCode.REVOKED, 'this QR code was replaced or revoked');
    }
    const org = await this.directory.organization(claims.sub);
    if (!org) throw new OrgQrError(OrgQrErrorCode.INACTIVE, 'the organisation no longer exists');
    const active = await this.directory.activeConnectorIds(org.id);
    if (active.length === 0) throw new OrgQrError(OrgQrErrorCode.INACTIVE, 'the organisation has no active connector');
    const skt = (await this.siteTrust.siteKey(org.id))?.thumbprint ?? null;
    return {
      orgId: org.id,
      name: org.name,
      apiBaseUrl: this.apiBase(org.slug),
      issuer: claims.iss,
      version: claims.v,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      online: await this.directory.anyOnline(active),
      skt,
      siteKeyThumbprint: skt,
    };
  }

  private apiBase(slug: string): string {
    return `${this.config.publicUrl}/t/${slug}`;
  }

  private publicKey(kid: string): KeyObject | undefined {
    const jwk = this.keys.jwks().keys.find((k) => k.kid === kid);
    return jwk ? createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }) : undefined;
  }

  private async issue(orgId: string, expect: Parameters<OrgQrRepository['replace']>[1]): Promise<OrgQrTokenRecord> {
    const org = await this.directory.organization(orgId);
    if (!org) throw new OrgQrError(OrgQrErrorCode.INACTIVE, 'unknown organisation');
    const skt = (await this.siteTrust.siteKey(org.id))?.thumbprint;
    const iat = Math.floor(Date.now() / 1000);
    const claims: OrgQrClaims = {
      iss: this.issuer,
      sub: org.id,
      aud: ORG_QR_AUDIENCE,
      name: org.name,
      api: this.apiBase(org.slug),
      v: ORG_QR_VERSION,
      iat,
      exp: iat + ORG_QR_LIFETIME_S,
      jti: randomUUID(),
      ...(skt === undefined ? {} : { skt }),
    };
    const token = this.keys.signJws({ ...claims }, { typ: ORG_QR_TYP });
    return this.repo.replace(
      { jti: claims.jti, orgId: org.id, token, issuedAt: new Date(iat * 1000), expiresAt: new Date(claims.exp * 1000) },
      expect,
    );
  }

  private view(r: OrgQrTokenRecord): OrgQr {
    return {
      jti: r.jti,
      token: r.token,
      payload: orgQrPayload(this.issuer, r.token),
      issuedAt: r.issuedAt,
      expiresAt: r.expiresAt,
    };
  }
}
