import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'organization' })
export class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  slug!: string;

  @Column({ type: 'text' })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** `site-session` or `open` (see connectors/ingress-policy.ts). */
  @Column({ name: 'ingress_policy', type: 'text', default: 'site-session' })
  ingressPolicy!: string;

  /** The on-prem site's id (`iss` of its tokens), learnt from its hello; see site-trust/. */
  @Column({ name: 'site_id', type: 'text', nullable: true })
  siteId!: string | null;

  /** The site's public Ed25519 signing key as a JWK `{ kty, crv, x }`. */
  @Column({ name: 'site_key_jwk', type: 'jsonb', nullable: true })
  siteKeyJwk!: Record<string, unknown> | null;

  /** RFC 7638 thumbprint of site_key_jwk (the organisation QR's `skt`). */
  @Column({ name: 'site_key_thumbprint', type: 'text', nullable: true })
  siteKeyThumbprint!: string | null;

  @Column({ name: 'site_key_seen_at', type: 'timestamptz', nullable: true })
  siteKeySeenAt!: Date | null;
}
