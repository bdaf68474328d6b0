import { Global, Module } from '@nestjs/common';
import { EventIngestService } from './event-ingest.service';
import { EventLookups } from './event-lookups';

@Global()
@Module({
  providers: [EventIngestService, EventLookups],
  exports: [EventIngestService, EventLookups],
})
export class EventsModule {}
