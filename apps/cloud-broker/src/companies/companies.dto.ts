import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { type Role, ROLES } from './company.repository';

export class CompanyNameDto {
  @IsString() @Length(1, 100) name!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class RoleDto {
  @IsIn(ROLES) role!: Role;
  @IsOptional() @IsString() _csrf?: string;
}

export class InviteDto {
  @IsEmail() @MaxLength(254) email!: string;
  @IsIn(ROLES) role!: Role;
  @IsOptional() @IsString() _csrf?: string;
}

export class AcceptInvitationDto {
  @IsString() @Length(16, 128) token!: string;
  @IsOptional() @IsString() _csrf?: string;
}

export class AuditQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @Matches(/^\d{1,18}$/) before?: string;
}
