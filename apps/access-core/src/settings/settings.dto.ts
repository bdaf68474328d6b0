import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsFQDN, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';

export class MailServerDto {
  @ApiProperty({ description: 'host name or IP address of the SMTP server' })
  @IsString()
  @Length(1, 253)
  @ValidateIf((o: MailServerDto) => !/^[0-9.:]+$/.test(o.host) && o.host !== 'localhost')
  @IsFQDN({ require_tld: false }, { message: 'host must be a host name or an IP address' })
  host!: string;

  @ApiProperty({ minimum: 1, maximum: 65535, example: 587 })
  @IsInt()
  @Min(1)
  @Max(65535)
  port!: number;

  @ApiProperty({ description: 'true: TLS from the start (465); false: STARTTLS when offered (587/25)' })
  @IsBoolean()
  secure!: boolean;

  @ApiPropertyOptional({ nullable: true, maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  user?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    description: 'omit to keep the stored password; null clears it',
    maxLength: 256,
  })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  password?: string | null;

  @ApiProperty({ description: 'sender, e.g. "Front desk <desk@example.com>"', maxLength: 320 })
  @IsString()
  @Length(3, 320)
  @Matches(/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, {
    message: 'from must be an address or "Name <address>"',
  })
  from!: string;
}

export class CloudSettingsDto {
  @ApiPropertyOptional({ description: 'push alarms and messages to the app through the cloud' })
  @IsOptional()
  @IsBoolean()
  pushToApp?: boolean;

  @ApiPropertyOptional({ description: 'push device name, status, firmware and event logs to the cloud' })
  @IsOptional()
  @IsBoolean()
  pushDataToCloud?: boolean;
}
