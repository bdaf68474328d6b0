import type { IngressPolicy } from '../connectors/ingress-policy';

/** What the ingress needs to know about an organisation. */
export interface IngressOrg {
  readonly id: string;
  readonly policy: IngressPolicy;
}

/**
 * org slug → org id and ingress policy, in memory, so the ingress hot path does not hit the
 * database. Unknown slugs are cached too (shorter) so a flood of bad URLs costs one query per
 * slug per period. Concurrent misses for one slug share one query.
 */
export class OrgSlugCache {
  private readonly entries = new Map<string, { readonly org: IngressOrg | null; readonly expires: number }>();
  private readonly loading = new Map<string, Promise<IngressOrg | null>>();

  constructor(
    private readonly lookup: (slug: string) => Promise<IngressOrg | undefined>,
    private readonly opts: { ttlMs: number; negativeTtlMs: number; maxEntries: number } = {
      ttlMs: 60_000,
      negativeTtlMs: 2_000,
      maxEntries: 10_000,
    },
  ) {}

  /** The cached answer: the org, null for "no such org", undefined when not cached. */
  get(slug: string): IngressOrg | null | undefined {
    const e = this.entries.get(slug);
    if (e === undefined) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(slug);
      return undefined;
    }
    return e.org;
  }

  load(slug: string): Promise<IngressOrg | null> {
    const pending = this.loading.get(slug);
    if (pending) return pending;
    const p = this.lookup(slug)
      .then((org) => {
        this.set(slug, org ?? null);
        return org ?? null;
      })
      .finally(() => this.loading.delete(slug));
    this.loading.set(slug, p);
    return p;
  }

  invalidate(slug: string): void {
    this.entries.delete(slug);
  }

  private set(slug: string, org: IngressOrg | null): void {
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(slug, {
      org,
      expires: Date.now() + (org === null ? this.opts.negativeTtlMs : this.opts.ttlMs),
    });
  }
}
