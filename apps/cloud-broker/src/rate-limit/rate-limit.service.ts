import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { Redis } from 'ioredis';
import { closeRedis } from '../common/redis-close';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AccountsError, AccountsErrorCode } from '../accounts/accounts-error';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';

export interface LimitSpec {
  /** Attempts allowed per window. */
  readonly points: number;
  readonly windowS: number;
  /** Once spent, refuse for this long (default: the rest of the window). */
  readonly blockS?: number;
}

/** A point spent on an attempt in progress. */
export interface Attempt {
  /** The attempt was not a failure: its point goes back (once). */
  refund(): Promise<void>;
}

/** One named bucket family, e.g. failed sign-ins per account. */
export class Limit {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly what: string,
  ) {}

  /**
   * Counts an attempt before its work is done: spends one point at once (an atomic increment
   * in Redis, a synchronous one in memory), refusing with 429 when nothing was left, so
   * parallel attempts cannot all pass a check made before any of them failed. An attempt that
   * turns out not to be a failure gives its point back with `refund()`.
   */
  async attempt(key: string): Promise<Attempt> {
    await this.consume(key);
    let refunded = false;
    return {
      refund: async () => {
        if (refunded) return;
        refunded = true;
        await this.limiter.reward(key, 1);
      },
    };
  }

  /** Spends one point; refuses with 429 when nothing was left. */
  async consume(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw this.tooMany(err);
      throw err;
    }
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }

  private tooMany(res: RateLimiterRes): AccountsError {
    const retryAfterS = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new AccountsError(AccountsErrorCode.TOO_MANY_ATTEMPTS, `too many ${this.what}; retry in ${retryAfterS} s`, {
      retryAfterS,
    });
  }
}

/**
 * Brute-force and abuse limits. Counters live in Redis when REDIS_URL is set (shared by every
 * broker replica), in this process otherwise (the embedded single-node default).
 */
@Injectable()
export class RateLimitService implements OnApplicationShutdown {
  private readonly redis: Redis | undefined;
  private readonly prefix: string;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig, @Inject(BROKER_LOGGER) logger: Logger) {
    const log = logger.child({ component: 'rate-limit' });
    // The schema name keeps brokers of different databases (and parallel test runs) apart.
    this.prefix = `lb:rl:${config.database.schema}`;
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
      this.redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
    }
  }

  limit(name: string, spec: LimitSpec, what: string): Limit {
    const opts = {
      keyPrefix: `${this.prefix}:${name}`,
      points: spec.points,
      duration: spec.windowS,
      blockDuration: spec.blockS ?? 0,
    };
    const limiter = this.redis
      ? new RateLimiterRedis({ ...opts, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(opts) })
      : new RateLimiterMemory(opts);
    return new Limit(limiter, what);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}
