import { Global, Module } from '@nestjs/common';
import { EventIngestService } from './event-ingest.service';

@Global()
@Module({
  providers: [EventIngestService],
  exports: [EventIngestService],
})
export class EventsModule {}
