import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { PageQueryDto } from '../pagination';

export class DoorListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  areaId?: string;

  @ApiPropertyOptional({ description: 'search in the door or device name' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;
}

export class UnlockDoorDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 254,
    description: "seconds the lock stays open; default the door's drive time",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(254)
  seconds?: number;
}
