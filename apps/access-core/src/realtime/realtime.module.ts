import { Global, Module } from '@nestjs/common';
import { StreamEventRepository } from './stream-event.repository';
import { StreamGateway } from './stream.gateway';
import { StreamHub } from './stream.hub';

/** The WebSocket stream; other modules publish through StreamHub. */
@Global()
@Module({ providers: [StreamEventRepository, StreamHub, StreamGateway], exports: [StreamHub] })
export class RealtimeModule {}
