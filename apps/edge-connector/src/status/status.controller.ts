import { Controller, Get } from '@nestjs/common';
import { StatusService, type ConnectorStatusView } from './status.service';

@Controller()
export class StatusController {
  constructor(private readonly statusService: StatusService) {}

  @Get('status')
  status(): ConnectorStatusView {
    return this.statusService.status();
  }

  /** Liveness of the process; tunnel state is in /status. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
