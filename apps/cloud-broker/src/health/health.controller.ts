import { Controller, Get, Header, HttpCode, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BrokerError, BrokerErrorCode } from '../common/broker-error';
import { MetricsService } from '../metrics/metrics.service';
import { DRAIN_STATE, type DrainState } from './drain-state';

@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    @Inject(DRAIN_STATE) private readonly drain: DrainState,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(): Promise<{ status: string }> {
    if (this.drain.draining) throw new BrokerError(BrokerErrorCode.BROKER_DRAINING, 'broker is draining');
    try {
      await this.dataSource.query('SELECT 1');
    } catch (err) {
      throw new BrokerError(BrokerErrorCode.DATABASE_UNAVAILABLE, 'database unreachable', { cause: err });
    }
    return { status: 'ready' };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): string {
    return this.metrics.render();
  }
}
