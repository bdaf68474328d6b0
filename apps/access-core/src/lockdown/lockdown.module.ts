import { Global, Module } from '@nestjs/common';
import { LockdownService } from './lockdown.service';

@Global()
@Module({ providers: [LockdownService], exports: [LockdownService] })
export class LockdownModule {}
