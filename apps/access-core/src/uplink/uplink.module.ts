import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { CloudOutboxRepository } from './cloud-outbox.repository';
import { CloudOutboxService } from './cloud-outbox.service';
import { UplinkWorker } from './uplink.worker';

/** Site → cloud: the outbox fed from the domain bus and the worker that delivers it. */
@Module({
  imports: [SettingsModule],
  providers: [CloudOutboxRepository, UplinkWorker, CloudOutboxService],
  exports: [UplinkWorker],
})
export class UplinkModule {}
