import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDateString, IsEmail, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { PageQueryDto } from '../mobile/pagination';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const NO_CONTROL = /^[^\p{Cc}]*$/u;

export class CreateAreaDto {
  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'the area this one is inside; none: a top-level area' })
  @IsOptional()
  @IsUUID()
  parentId?: string;
}

export class RenameAreaDto {
  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name!: string;
}

export class UpdateDoorDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 254, description: 'seconds the lock stays open on a remote open' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(254)
  driveTimeSec?: number;
}

export class OperationLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'part of the actor, the action or the target' })
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
}

export class TestMailDto {
  @ApiProperty({ description: 'where the test mail goes' })
  @IsEmail()
  @Length(3, 320)
  to!: string;
}

export class SiteNameDto {
  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name!: string;
}

export class PrivacyPolicyDto {
  @ApiProperty({ maxLength: 20000, description: 'the text the app shows under Me → Privacy policy' })
  @IsString()
  @Length(1, 20000)
  text!: string;
}
