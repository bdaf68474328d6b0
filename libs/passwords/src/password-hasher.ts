import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

// OWASP's (and ASVS's) argon2id baseline: 19 MiB, t = 2, p = 1. Fast enough for a small on-prem
// server; verify() reads the parameters from the stored hash, so they can be raised later.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Longer passwords are refused before hashing (ASVS allows ≥ 64; 256 bounds the work). */
export const MAX_PASSWORD_LENGTH = 256;

/** The one password hasher of the cloud broker and access-core. */
@Injectable()
export class PasswordHasher {
  private decoy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  /**
   * True when `password` matches `stored`. Without a stored hash (no such account, no password
   * set) the same work is spent on a decoy and the answer is false, so an unknown account cannot
   * be told apart by timing.
   */
  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    if (!stored) {
      await this.burn(password);
      return false;
    }
    try {
      return await argon2.verify(stored, password);
    } catch {
      return false;
    }
  }

  /** Spends the time of a real check and answers nothing. */
  async burn(password: string): Promise<void> {
    this.decoy ??= argon2.hash('not a real password', OPTIONS);
    try {
      await argon2.verify(await this.decoy, password);
    } catch {
      // a decoy that cannot be checked still took the time it took
    }
  }
}
