import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../pagination';

export class AreaFilterDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only this area and the areas inside it' })
  @IsOptional()
  @IsUUID()
  areaId?: string;
}

export class DeviceListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  areaId?: string;

  @ApiPropertyOptional({ enum: ['online', 'offline'] })
  @IsOptional()
  @IsIn(['online', 'offline'])
  status?: 'online' | 'offline';
}
