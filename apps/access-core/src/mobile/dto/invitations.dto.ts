import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsDateString,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const NAME = /^[^\p{Cc}]*$/u;

export class CreateInvitationDto {
  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'firstName must not contain control characters' })
  firstName!: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(0, 100)
  @Matches(NAME, { message: 'lastName must not contain control characters' })
  lastName?: string;

  @ApiProperty({ format: 'email' })
  @Transform(trim)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ description: 'mobile number (encrypted at rest)', pattern: '^\\+?[0-9 ()-]{3,32}$' })
  @IsOptional()
  @IsString()
  @Matches(/^\+?[0-9 ()-]{3,32}$/, { message: 'mobile must be a phone number' })
  mobile?: string;

  @ApiProperty({ format: 'date-time' })
  @IsDateString({ strict: true })
  startAt!: string;

  @ApiProperty({ format: 'date-time' })
  @IsDateString({ strict: true })
  endAt!: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  visitorCount?: number;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  remarks?: string;
}

export class ReinviteDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'default: the original times' })
  @IsOptional()
  @IsDateString({ strict: true })
  startAt?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  endAt?: string;
}
