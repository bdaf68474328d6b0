import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ActivationCodeService } from '../connector-admin/activation-code.service';
import { ConnectorActivationController } from '../connector-admin/connector-activation.controller';
import {
  ConnectorAdminService,
  PORTAL_LOGGER,
  TUNNEL_ADDED,
  type TunnelAddedHook,
} from '../connector-admin/connector-admin.service';
import { ConnectorEnrollmentService } from '../connector-admin/connector-enrollment.service';
import { PortalDirectory, TUNNEL_DIRECTORY } from '../connector-admin/portal-directory';
import { OrgQrController } from '../org-qr/org-qr.controller';
import { OrgQrRepository } from '../org-qr/org-qr.repository';
import { OrgQrService } from '../org-qr/org-qr.service';
import type { TunnelDirectory } from '../tunnel/tunnel-registry';
import { PortalController } from './portal.controller';
import { PortalPageFilter } from './portal-page.filter';
import { PortalPageGuard } from './portal-page.guard';
import { AssetsController } from '../web/assets.controller';
import { HomeController } from '../web/home.controller';

export interface PortalModuleDeps {
  readonly registry: TunnelDirectory;
  readonly onTunnelAdded: TunnelAddedHook;
  readonly logger: Logger;
}

/**
 * Cloud portal pages (and the broker's home page and page assets), organisation QR (resolve), connector administration and activation
 * codes. Uses the accounts module's global providers (AuthService, WebCookies, CompaniesService,
 * AuditService, AreasService, SigningKeyService, BROKER_CONFIG).
 */
@Module({})
export class PortalModule {
  static forRoot(deps: PortalModuleDeps): DynamicModule {
    return {
      module: PortalModule,
      controllers: [PortalController, OrgQrController, ConnectorActivationController, HomeController, AssetsController],
      providers: [
        { provide: TUNNEL_DIRECTORY, useValue: deps.registry },
        { provide: TUNNEL_ADDED, useValue: deps.onTunnelAdded },
        { provide: PORTAL_LOGGER, useValue: deps.logger },
        PortalPageFilter,
        PortalPageGuard,
        PortalDirectory,
        OrgQrRepository,
        OrgQrService,
        ConnectorAdminService,
        ConnectorEnrollmentService,
        ActivationCodeService,
      ],
      exports: [OrgQrService, ConnectorAdminService, ConnectorEnrollmentService, PortalDirectory],
    };
  }
}
