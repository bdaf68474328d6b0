import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsOptional, Matches } from 'class-validator';
import { PageQueryDto } from '../pagination';

export class RejectedLineQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: "only this terminal's lines (its serial number)" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'deviceSn must be a terminal serial number' })
  deviceSn?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'only lines last received at or after' })
  @IsOptional()
  @IsDateString({ strict: true })
  since?: string;
}

export class RejectedLineIdDto {
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'id must be a rejected line id' })
  id!: string;
}
