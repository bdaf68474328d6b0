import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBase64, IsBoolean, IsEmail, IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { MAX_PASSWORD_LENGTH } from '@lanbridge/passwords';
import { PageQueryDto } from '../pagination';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const NAME = /^[^\p{Cc}]*$/u;
export const PIN = /^[A-Za-z0-9_-]{1,24}$/;

export class CreatePersonDto {
  @ApiProperty({ description: 'personnel id (the pin the terminals know)', pattern: PIN.source })
  @IsString()
  @Matches(PIN, { message: 'pin must be 1-24 letters, digits, _ or -' })
  pin!: string;

  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME)
  firstName!: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(0, 100)
  @Matches(NAME)
  lastName?: string;

  @ApiPropertyOptional({ description: 'card number (decimal)', pattern: '^[0-9]{1,20}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{1,20}$/, { message: 'cardNo must be 1-20 digits' })
  cardNo?: string;

  @ApiPropertyOptional({ description: 'department name (created when new)', maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME)
  department?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  appLoginEnabled?: boolean;

  @ApiPropertyOptional({ minLength: 8, maxLength: MAX_PASSWORD_LENGTH, description: 'app and self-service password' })
  @IsOptional()
  @IsString()
  @Length(8, MAX_PASSWORD_LENGTH)
  password?: string;

  @ApiPropertyOptional({ description: 'photo, JPEG or PNG, base64 (no data: prefix), ≤ MOBILE_PHOTO_MAX_BYTES' })
  @IsOptional()
  @IsBase64()
  photo?: string;
}

export class UpdatePersonDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME)
  firstName?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(0, 100)
  @Matches(NAME)
  lastName?: string;

  @ApiPropertyOptional({ pattern: '^[0-9]{1,20}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{1,20}$/, { message: 'cardNo must be 1-20 digits' })
  cardNo?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME)
  department?: string;

  @ApiPropertyOptional({ minLength: 8, maxLength: MAX_PASSWORD_LENGTH })
  @IsOptional()
  @IsString()
  @Length(8, MAX_PASSWORD_LENGTH)
  password?: string;

  @ApiPropertyOptional({
    nullable: true,
    description: 'photo, JPEG or PNG, base64, ≤ MOBILE_PHOTO_MAX_BYTES; null removes it',
  })
  @ValidateIf((_o, v) => v !== null)
  @IsOptional()
  @IsBase64()
  photo?: string | null;
}

export class AppLoginDto {
  @ApiProperty()
  @IsBoolean()
  enabled!: boolean;
}

export class GuardianDto {
  @ApiProperty({ description: 'personnel id of the guardian who will follow this person' })
  @IsString()
  @Matches(PIN)
  guardianPin!: string;
}

export class PersonListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'personnel id prefix or part of the name' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;
}
