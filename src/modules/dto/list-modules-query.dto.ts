import { IsOptional, IsString, Length } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export class ListModulesQueryDto extends PageQueryDto {
  /** Only instances of this module type. */
  @IsOptional()
  @IsString()
  @Length(1, 50)
  type?: string;
}
