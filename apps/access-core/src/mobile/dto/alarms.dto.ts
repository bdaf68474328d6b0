import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../pagination';

const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

export class AlarmListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'search in the event name or the device name' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'events at or after' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'events before' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: ['exception', 'alarm'] })
  @IsOptional()
  @IsIn(['exception', 'alarm'])
  level?: 'exception' | 'alarm';

  @ApiPropertyOptional({ enum: ['device', 'door'], description: 'with resourceId: only this device or door' })
  @IsOptional()
  @IsIn(['device', 'door'])
  resource?: 'device' | 'door';

  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateIf((o: AlarmListQueryDto) => o.resource !== undefined || o.resourceId !== undefined)
  @IsUUID()
  resourceId?: string;

  @ApiPropertyOptional({ description: 'true: confirmed only; false: unconfirmed only' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  confirmed?: boolean;

  @ApiPropertyOptional({ description: "true: today's alarms only (the quick filters)" })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  today?: boolean;
}

export class ConfirmAlarmDto {
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  remark?: string;
}

export class AccessRecordQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'search in the personnel id, the person name or the door name' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  doorId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  personId?: string;
}
