import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, t=2, p=1): fast enough for a small on-prem server, and
// verify() reads the parameters from the stored hash, so they can be raised later.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Longer passwords are refused before hashing (ASVS allows ≥64; 256 bounds the work). */
export const MAX_PASSWORD_LENGTH = 256;

@Injectable()
export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Spends the same time as a real check, so unknown accounts cannot be told apart by timing. */
  async burn(password: string): Promise<void> {
    this.dummy ??= argon2.hash('not a real password', OPTIONS);
    await this.verify(await this.dummy, password);
  }
}
