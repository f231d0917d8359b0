import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { ANSWER_TYPES, type AnswerType } from '../entities/referral.entity';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
};

export class ListReferralsQueryDto extends PageQueryDto {
  /** Case-insensitive text found in the tracking param, the segment name or the description. */
  @IsOptional()
  @IsString()
  @Length(1, 100)
  search?: string;

  @IsOptional()
  @IsIn(ANSWER_TYPES)
  answerType?: AnswerType;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  active?: boolean;
}
