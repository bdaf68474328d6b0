import { Global, Module } from '@nestjs/common';
import { EventDispatchRepository } from './event-dispatch.repository';
import { EventDispatchService } from './event-dispatch.service';
import { EventIngestService } from './event-ingest.service';
import { EventLookups } from './event-lookups';

@Global()
@Module({
  providers: [EventIngestService, EventLookups, EventDispatchService, EventDispatchRepository],
  exports: [EventIngestService, EventLookups],
})
export class EventsModule {}
