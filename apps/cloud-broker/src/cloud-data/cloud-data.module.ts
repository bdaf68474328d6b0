import { Module } from '@nestjs/common';
import { BROKER_LOGGER } from '../config/broker.config';
import { PORTAL_LOGGER } from '../connector-admin/portal-error';
import { PortalPageFilter } from '../portal/portal-page.filter';
import { PortalPageGuard } from '../portal/portal-page.guard';
import { CloudDataRepository } from './cloud-data.repository';
import { CloudDataService } from './cloud-data.service';
import { SiteDataPagesController } from './site-data-pages.controller';

/**
 * Site data pushed to the cloud (settings, devices, event logs) and the portal's "Site data"
 * page. Uses the accounts module's global providers (CompaniesService, WebCookies, AuditService).
 */
@Module({
  controllers: [SiteDataPagesController],
  providers: [
    { provide: PORTAL_LOGGER, useExisting: BROKER_LOGGER },
    CloudDataRepository,
    CloudDataService,
    PortalPageGuard,
    PortalPageFilter,
  ],
  exports: [CloudDataRepository, CloudDataService],
})
export class CloudDataModule {}
