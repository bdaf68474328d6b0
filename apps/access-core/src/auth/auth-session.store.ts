import type { Role } from './principal';

/** One refresh token of a session family (rotation keeps the family, replaces the token). */
export interface AuthSessionRow {
  readonly id: string;
  readonly familyId: string;
  readonly role: Role;
  readonly subjectId: string;
  readonly expiresAt: Date;
  readonly rotatedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface NewAuthSession {
  readonly familyId: string;
  readonly role: Role;
  readonly subjectId: string;
  /** SHA-256 hex of the refresh token; the token itself is never stored. */
  readonly tokenHash: string;
  readonly expiresAt: Date;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

/** Storage of refresh tokens, behind a seam so the token rules read without SQL. */
export abstract class AuthSessionStore {
  abstract insert(row: NewAuthSession): Promise<void>;
  abstract findByHash(tokenHash: string): Promise<AuthSessionRow | undefined>;
  /** Marks the token used; false when it was already rotated (a concurrent or replayed use). */
  abstract markRotated(id: string, at: Date): Promise<boolean>;
  abstract revokeFamily(familyId: string, at: Date): Promise<void>;
  abstract revokeSubject(role: Role, subjectId: string, at: Date): Promise<void>;
  /** True while the family has a token that is neither revoked nor past its expiry. */
  abstract isFamilyActive(familyId: string, now: Date): Promise<boolean>;
}
