import { Module } from '@nestjs/common';
import { Clock } from './clock';
import { SystemController } from './system.controller';
import { SystemService } from './system.service';

@Module({
  controllers: [SystemController],
  providers: [SystemService, Clock],
})
export class SystemModule {}
