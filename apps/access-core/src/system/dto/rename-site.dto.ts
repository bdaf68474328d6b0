import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';

export class RenameSiteDto {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'name must not contain control characters' })
  name!: string;
}
