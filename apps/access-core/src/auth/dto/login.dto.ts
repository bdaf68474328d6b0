import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { MAX_PASSWORD_LENGTH } from '../password-hasher';
import { ROLES, type Role } from '../principal';

export class LoginDto {
  @ApiProperty({ enum: ROLES, description: 'admin: an on-prem operator; personnel: a person with App Login' })
  @IsIn(ROLES)
  type!: Role;

  @ApiPropertyOptional({ description: 'operator user name (type admin)', maxLength: 64 })
  @ValidateIf((o: LoginDto) => o.type === 'admin')
  @IsString()
  @Length(1, 64)
  username?: string;

  @ApiPropertyOptional({ description: 'personnel id (type personnel)', maxLength: 24 })
  @ValidateIf((o: LoginDto) => o.type === 'personnel')
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,24}$/, { message: 'pin must be 1-24 letters, digits, _ or -' })
  pin?: string;

  @ApiProperty({ maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @Length(1, MAX_PASSWORD_LENGTH)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'the refresh token of the last login or refresh (single use)' })
  @IsString()
  @Length(1, 128)
  refreshToken!: string;
}

export class TokenPairDto {
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'compact JWS, EdDSA, header {alg, typ: "at+jwt", kid}' }) accessToken!: string;
  @ApiProperty({ description: 'seconds until the access token expires (≤ 900)' }) expiresIn!: number;
  @ApiProperty({ description: 'opaque, single use: each refresh returns a new one' }) refreshToken!: string;
  @ApiProperty({ format: 'date-time' }) refreshExpiresAt!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ description: 'the `iss` of the access tokens' }) siteId!: string;
}
