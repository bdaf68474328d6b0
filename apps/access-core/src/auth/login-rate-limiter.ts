import { Inject, Injectable } from '@nestjs/common';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG } from '../config/config.tokens';
import { Clock } from '../system/clock';

/** Keys kept per limiter; the oldest window is dropped beyond this, bounding memory under a flood. */
const MAX_KEYS = 10_000;

interface Window {
  startedAt: number;
  count: number;
}

/** A fixed-window counter per key, in process memory. */
export class WindowCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until `key` may try again, or 0 when it is under the limit. */
  blockedFor(key: string, now: number): number {
    const w = this.current(key, now);
    return w && w.count >= this.limit ? w.startedAt + this.windowMs - now : 0;
  }

  hit(key: string, now: number): void {
    const w = this.current(key, now);
    if (w) {
      w.count += 1;
      return;
    }
    if (this.windows.size >= MAX_KEYS) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, { startedAt: now, count: 1 });
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private current(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.startedAt >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}

/**
 * Brute-force control for POST /auth/login and /auth/hello: every attempt counts against the
 * client IP and against the account (admin:<username> / personnel:<pin>), before the password
 * is checked; a success clears the account's count. Counting first, in one synchronous step,
 * is what holds against parallel attempts: the sixth of fifty simultaneous guesses is refused
 * before any of the first five has been checked. In-process on purpose: access-core runs as
 * one process per site.
 */
@Injectable()
export class LoginRateLimiter {
  private readonly perIp: WindowCounter;
  private readonly perAccount: WindowCounter;

  constructor(
    @Inject(ACCESS_CORE_CONFIG) config: AccessCoreConfig,
    private readonly clock: Clock,
  ) {
    const windowMs = config.AUTH_LOGIN_WINDOW_SECONDS * 1000;
    this.perIp = new WindowCounter(config.AUTH_LOGIN_MAX_PER_IP, windowMs);
    this.perAccount = new WindowCounter(config.AUTH_LOGIN_MAX_PER_ACCOUNT, windowMs);
  }

  /**
   * Records the attempt against the IP and the account before the password is checked; returns
   * seconds to wait (nothing counted) when either is already at its limit.
   */
  attempt(ip: string, account: string): number {
    const now = this.clock.now().getTime();
    const wait = Math.max(this.perIp.blockedFor(ip, now), this.perAccount.blockedFor(account, now));
    if (wait > 0) return Math.ceil(wait / 1000);
    this.perIp.hit(ip, now);
    this.perAccount.hit(account, now);
    return 0;
  }

  /**
   * Records a request that names no account (a sign-in hello, an undecryptable login) against
   * the client IP; returns seconds to wait when the IP is over its limit.
   */
  attemptIp(ip: string): number {
    const now = this.clock.now().getTime();
    const wait = this.perIp.blockedFor(ip, now);
    if (wait > 0) return Math.ceil(wait / 1000);
    this.perIp.hit(ip, now);
    return 0;
  }

  /** Seconds the IP must wait before its next attempt (0: it may try), without counting one. */
  ipWait(ip: string): number {
    return Math.ceil(this.perIp.blockedFor(ip, this.clock.now().getTime()) / 1000);
  }

  succeeded(account: string): void {
    this.perAccount.reset(account);
  }
}
