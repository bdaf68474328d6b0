import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsString, Length } from 'class-validator';
import { MAX_PASSWORD_LENGTH } from '@lanbridge/passwords';

export class NotificationSwitchDto {
  @ApiProperty({ description: 'background notifications (cloud push) on or off for this user' })
  @IsBoolean()
  enabled!: boolean;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, MAX_PASSWORD_LENGTH)
  currentPassword!: string;

  @ApiProperty({ minLength: 8, maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @Length(8, MAX_PASSWORD_LENGTH)
  newPassword!: string;
}
