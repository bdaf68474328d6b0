import { Controller, Get } from '@nestjs/common';
import { DatabaseProbe } from '../database/database.probe';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';

const READY_TIMEOUT_MS = 2000;

@Controller()
export class HealthController {
  constructor(private readonly database: DatabaseProbe) {}

  /** Liveness: the process serves HTTP. Never touches dependencies. */
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers. */
  @Get('readyz')
  async ready(): Promise<{ status: 'ok'; database: 'ok' }> {
    try {
      await this.database.check(READY_TIMEOUT_MS);
    } catch (err) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_READY, 'the database is not reachable', undefined, {
        cause: err,
      });
    }
    return { status: 'ok', database: 'ok' };
  }
}
