import { Global, Module } from '@nestjs/common';
import { StreamGateway } from './stream.gateway';
import { StreamHub } from './stream.hub';

/** The WebSocket stream; other modules publish through StreamHub. */
@Global()
@Module({ providers: [StreamHub, StreamGateway], exports: [StreamHub] })
export class RealtimeModule {}
