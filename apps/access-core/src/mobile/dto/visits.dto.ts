import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBase64,
  IsBoolean,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../pagination';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const NO_CONTROL = /^[^\p{Cc}]*$/u;

export class VisitListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'search in the visitor name' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;

  @ApiPropertyOptional({ enum: ['reserved', 'checked_in', 'checked_out'] })
  @IsOptional()
  @IsIn(['reserved', 'checked_in', 'checked_out'])
  status?: 'reserved' | 'checked_in' | 'checked_out';

  @ApiPropertyOptional({ description: "true: today's visits only" })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  today?: boolean;
}

export class RegisterVisitDto {
  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name!: string;

  @ApiPropertyOptional({ description: 'phone number or e-mail', maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'contact must not contain control characters' })
  contact?: string;

  @ApiPropertyOptional({ description: 'identity document number (encrypted at rest)', maxLength: 64 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 64)
  @Matches(/^[A-Za-z0-9 -]+$/, { message: 'idNumber may hold letters, digits, spaces and -' })
  idNumber?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'the host; or hostPin' })
  @IsOptional()
  @IsUUID()
  hostPersonId?: string;

  @ApiPropertyOptional({ description: "the host's personnel id; or hostPersonId" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,24}$/)
  hostPin?: string;

  @ApiProperty({ format: 'date-time' })
  @IsDateString({ strict: true })
  startAt!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  endAt?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ description: 'JPEG or PNG, base64 (no data: prefix)' })
  @IsOptional()
  @IsBase64()
  photo?: string;

  @ApiPropertyOptional({ description: 'licence plate photo, JPEG or PNG, base64' })
  @IsOptional()
  @IsBase64()
  platePhoto?: string;

  @ApiPropertyOptional({ description: 'carried goods photo, JPEG or PNG, base64' })
  @IsOptional()
  @IsBase64()
  goodsPhoto?: string;
}

export class HostSearchQueryDto {
  @ApiProperty({ description: 'personnel id prefix or part of the name' })
  @IsString()
  @Length(1, 100)
  q!: string;
}

export const PHOTO_KINDS = ['visitor', 'plate', 'goods'] as const;
export type PhotoKind = (typeof PHOTO_KINDS)[number];

export class PhotoKindParamDto {
  @IsUUID()
  id!: string;

  @IsIn(PHOTO_KINDS)
  kind!: PhotoKind;
}
