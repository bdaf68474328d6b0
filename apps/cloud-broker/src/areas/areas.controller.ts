import { Controller, Get } from '@nestjs/common';
import { type Area, AreasService } from './areas.service';

@Controller('api/v1/areas')
export class AreasController {
  constructor(private readonly areas: AreasService) {}

  @Get()
  list(): readonly Area[] {
    return this.areas.list();
  }
}
