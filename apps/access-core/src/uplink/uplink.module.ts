import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { CloudOutboxRepository } from './cloud-outbox.repository';
import { CloudOutboxService } from './cloud-outbox.service';
import { UplinkRejectedController } from './uplink-rejected.controller';
import { UplinkWorker } from './uplink.worker';

/** Site → cloud: the outbox fed from the domain bus and the worker that delivers it. */
@Module({
  imports: [SettingsModule],
  controllers: [UplinkRejectedController],
  providers: [CloudOutboxRepository, UplinkWorker, CloudOutboxService],
  exports: [UplinkWorker],
})
export class UplinkModule {}
