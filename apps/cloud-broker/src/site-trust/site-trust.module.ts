import { Global, Module } from '@nestjs/common';
import { SiteTrustRepository } from './site-trust.repository';
import { SiteTrustService } from './site-trust.service';

/**
 * The site key of each organisation and the verification of site access tokens
 * (SiteTrustService). Global and imported once by AppModule, which provides what it needs:
 * the DataSource, BROKER_LOGGER and SITE_TRUST_TUNNELS (this node's tunnel registry).
 * Feature modules may import it as well; Nest keeps one instance.
 */
@Global()
@Module({
  providers: [SiteTrustRepository, SiteTrustService],
  exports: [SiteTrustService],
})
export class SiteTrustModule {}
