import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { MAX_PASSWORD_LENGTH } from '@lanbridge/passwords';
import { ROLES, type Role } from '../principal';

/** Longer JWEs are refused before any decryption. */
export const MAX_LOGIN_JWE_LENGTH = 8192;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const plain = (o: LoginDto): boolean => o.jwe === undefined;

/**
 * Body of POST /auth/login: either the credentials in clear (on the LAN) or `jwe`, the same
 * credentials plus the hello's `hid` and `nonce`, encrypted to the site's X25519 key.
 */
export class LoginDto {
  @ApiPropertyOptional({
    enum: ROLES,
    description: 'admin: an on-prem operator; personnel: a person with App Login (plain login)',
  })
  @ValidateIf(plain)
  @IsIn(ROLES)
  type?: Role;

  @ApiPropertyOptional({ description: 'operator user name (type admin)', maxLength: 64 })
  @ValidateIf((o: LoginDto) => plain(o) && o.type === 'admin')
  @IsString()
  @Length(1, 64)
  username?: string;

  @ApiPropertyOptional({ description: 'personnel id (type personnel)', maxLength: 24 })
  @ValidateIf((o: LoginDto) => plain(o) && o.type === 'personnel')
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,24}$/, { message: 'pin must be 1-24 letters, digits, _ or -' })
  pin?: string;

  @ApiPropertyOptional({ maxLength: MAX_PASSWORD_LENGTH, description: 'plain login' })
  @ValidateIf(plain)
  @IsString()
  @Length(1, MAX_PASSWORD_LENGTH)
  password?: string;

  @ApiPropertyOptional({
    maxLength: MAX_LOGIN_JWE_LENGTH,
    description:
      'encrypted login (instead of the other fields): compact JWE, alg ECDH-ES, enc A256GCM, kid = the X25519 key ' +
      'of the hello; plaintext {type, username|pin, password, hid, nonce}',
  })
  @ValidateIf((o: LoginDto) => !plain(o))
  @IsString()
  @Length(1, MAX_LOGIN_JWE_LENGTH)
  @Matches(COMPACT_JWE, { message: 'jwe must be a compact JWE (five base64url parts)' })
  jwe?: string;
}

/** The plaintext of an encrypted login: the plain credentials and the hello they answer. */
export class SealedLoginDto extends LoginDto {
  @IsString()
  @Length(1, 128)
  hid!: string;

  @IsString()
  @Length(1, 128)
  nonce!: string;
}

export class HelloDto {
  @ApiProperty({
    description: 'base64url of 16-64 random bytes; echoed in the signed hello',
    example: 'q83vEjRWeJq83vEjRWeJqw',
  })
  @IsString()
  @Length(22, 86)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'nonce must be base64url' })
  nonce!: string;
}

export class HelloResponseDto {
  @ApiProperty({
    description:
      'compact JWS, header {alg: "EdDSA", typ: "site-hello+jwt", jwk}, payload {iss, nonce, hid, enc, iat, exp, v: 1}',
  })
  hello!: string;
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
