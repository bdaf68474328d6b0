import type { SiteRole } from './site-jws';

/** A site access token the broker has verified, and against which key. */
export interface VerifiedSiteToken {
  readonly orgId: string;
  readonly siteId: string;
  readonly role: SiteRole;
  readonly sub: string;
  readonly sid: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

interface Entry extends VerifiedSiteToken {
  /** Thumbprint of the key that verified it; a changed site key drops the entry. */
  readonly thumbprint: string;
}

/**
 * Verified tokens until they expire, least recently used evicted first (a Map keeps insertion
 * order; a hit moves the entry to the end). Only successes are cached: a forged token costs a
 * signature check every time, a valid one costs one once per lifetime.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string, nowS: number): Entry | undefined {
    const e = this.entries.get(token);
    if (e === undefined) return undefined;
    this.entries.delete(token);
    if (e.exp <= nowS) return undefined;
    this.entries.set(token, e);
    return e;
  }

  set(token: string, entry: Entry): void {
    this.entries.delete(token);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  /** Forgets the tokens of `orgId` verified with another key than `keepThumbprint`. */
  dropOrg(orgId: string, keepThumbprint?: string): void {
    for (const [token, e] of this.entries) {
      if (e.orgId === orgId && e.thumbprint !== keepThumbprint) this.entries.delete(token);
    }
  }
}
