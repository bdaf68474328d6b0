import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { DEVICE_APPROVALS, type DeviceApproval } from '../../domain/device.entity';
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

  @ApiPropertyOptional({
    enum: DEVICE_APPROVALS,
    default: 'approved',
    description:
      "the site's terminals (approved, the default), or those waiting for (pending) or refused (rejected) approval",
  })
  @IsOptional()
  @IsIn(DEVICE_APPROVALS)
  approval?: DeviceApproval;
}

export class ApproveDeviceDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'the area it serves; default: the default area' })
  @IsOptional()
  @IsUUID()
  areaId?: string;

  @ApiPropertyOptional({ maxLength: 100, description: 'display name; default: model and serial number' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'name must not contain control characters' })
  name?: string;
}
