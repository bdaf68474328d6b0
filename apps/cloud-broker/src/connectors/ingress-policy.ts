/**
 * What the broker asks of a request to `/t/<org>/…` before it opens a tunnel stream:
 * - `site-session` (default): public sign-in endpoints only, everything else needs a site
 *   access token that verifies with the site's recorded key (docs/mobile-path.md §3);
 * - `open`: a plain HTTP tunnel to a generic origin, no check (benchmarks, protocol tests).
 */
export const INGRESS_POLICIES = ['site-session', 'open'] as const;
export type IngressPolicy = (typeof INGRESS_POLICIES)[number];
export const DEFAULT_INGRESS_POLICY: IngressPolicy = 'site-session';

export function isIngressPolicy(v: unknown): v is IngressPolicy {
  return typeof v === 'string' && (INGRESS_POLICIES as readonly string[]).includes(v);
}
