import { Injectable } from '@nestjs/common';
import { argon2id, hash, verify } from 'argon2';

/** ASVS Appendix C minimum for argon2id: m = 19 MiB, t = 2, p = 1. */
const PARAMS = { type: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  /** A hash of a random password, verified when the account does not exist (same cost, no timing oracle). */
  private readonly decoy: Promise<string> = hash('decoy-password-never-used', PARAMS);

  hash(password: string): Promise<string> {
    return hash(password, PARAMS);
  }

  async verify(stored: string | undefined, password: string): Promise<boolean> {
    try {
      return await verify(stored ?? (await this.decoy), password);
    } catch {
      return false;
    }
  }
}
