import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';

// Password length rules live in password-policy.ts (precise message, code PASSWORD_POLICY);
// here only a hard cap so nothing huge reaches argon2.

export class SignUpDto {
  @IsString() @Length(1, 100) firstName!: string;
  @IsString() @Length(1, 100) lastName!: string;
  @IsEmail() @MaxLength(254) email!: string;
  @IsString() @Length(3, 40) contactNumber!: string;
  @IsString() @MaxLength(1024) password!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class SignInDto {
  @IsString() @MaxLength(254) email!: string;
  @IsString() @MaxLength(1024) password!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class TokenDto {
  @IsString() @Length(16, 128) token!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class EmailDto {
  @IsEmail() @MaxLength(254) email!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class CompletePasswordResetDto {
  @IsString() @Length(16, 128) token!: string;
  @IsString() @MaxLength(1024) newPassword!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class ChangePasswordDto {
  @IsString() @MaxLength(1024) currentPassword!: string;
  @IsString() @MaxLength(1024) newPassword!: string;
  @IsOptional() @IsString() _csrf?: string;
}
