/**
 * org slug → org id, in memory, so the ingress hot path does not hit the database. Unknown
 * slugs are cached too (shorter) so a flood of bad URLs costs one query per slug per period.
 * Concurrent misses for one slug share one query.
 */
export class OrgSlugCache {
  private readonly entries = new Map<string, { readonly orgId: string | null; readonly expires: number }>();
  private readonly loading = new Map<string, Promise<string | null>>();

  constructor(
    private readonly lookup: (slug: string) => Promise<string | undefined>,
    private readonly opts: { ttlMs: number; negativeTtlMs: number; maxEntries: number } = {
      ttlMs: 60_000,
      negativeTtlMs: 2_000,
      maxEntries: 10_000,
    },
  ) {}

  /** The cached answer: an org id, null for "no such org", undefined when not cached. */
  get(slug: string): string | null | undefined {
    const e = this.entries.get(slug);
    if (e === undefined) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(slug);
      return undefined;
    }
    return e.orgId;
  }

  load(slug: string): Promise<string | null> {
    const pending = this.loading.get(slug);
    if (pending) return pending;
    const p = this.lookup(slug)
      .then((orgId) => {
        this.set(slug, orgId ?? null);
        return orgId ?? null;
      })
      .finally(() => this.loading.delete(slug));
    this.loading.set(slug, p);
    return p;
  }

  invalidate(slug: string): void {
    this.entries.delete(slug);
  }

  private set(slug: string, orgId: string | null): void {
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(slug, {
      orgId,
      expires: Date.now() + (orgId === null ? this.opts.negativeTtlMs : this.opts.ttlMs),
    });
  }
}
