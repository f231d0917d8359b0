import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one body every error response has. */
export class ErrorBody {
  @ApiProperty({ example: 404 })
  statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: 'The HTTP reason phrase.' })
  error!: string;

  @ApiProperty({ example: 'Bot not found', description: 'Human-readable; may change.' })
  message!: string;

  @ApiProperty({
    example: 'BOT_NOT_FOUND',
    description:
      'Stable upper-snake code to switch on, e.g. VALIDATION_FAILED, NOT_FOUND, UNAUTHORIZED.',
  })
  code!: string;

  @ApiPropertyOptional({
    description:
      'Extra data. For VALIDATION_FAILED a list of `{ field, messages[] }`; for INTERNAL_ERROR `{ errorId }`, ' +
      'the id under which the error was logged.',
    oneOf: [
      {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            field: { type: 'string' },
            messages: { type: 'array', items: { type: 'string' } },
          },
          required: ['field', 'messages'],
        },
      },
      { type: 'object', additionalProperties: true },
    ],
  })
  details?: unknown;
}
