import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const QR_CHANNELS = ['messenger', 'widget'] as const;
export const QR_FORMATS = ['svg', 'png'] as const;

export class QrQueryDto {
  /** Which link the code opens. Default `messenger`. */
  @ApiPropertyOptional({ enum: QR_CHANNELS, default: 'messenger' })
  @IsOptional()
  @IsIn(QR_CHANNELS)
  channel: (typeof QR_CHANNELS)[number] = 'messenger';

  /** Default `svg`. */
  @ApiPropertyOptional({ enum: QR_FORMATS, default: 'svg' })
  @IsOptional()
  @IsIn(QR_FORMATS)
  format: (typeof QR_FORMATS)[number] = 'svg';
}
