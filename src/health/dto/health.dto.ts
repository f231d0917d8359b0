import { ApiProperty, ApiPropertyOptional, type SchemaObject } from '@nestjs/swagger';

export interface DependencyStatus {
  status: 'up' | 'down';
  [detail: string]: unknown;
}

/** Terminus' map of dependency name (`database`, `redis`) to its status and any details. */
const DEPENDENCIES: { type: 'object'; additionalProperties: SchemaObject; example: object } = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
  example: { database: { status: 'up' }, redis: { status: 'up' } },
};

/** GET /health when every dependency is up. */
export class HealthDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiPropertyOptional({ ...DEPENDENCIES, description: 'The dependencies that are up.' })
  info?: Record<string, DependencyStatus>;

  @ApiPropertyOptional({
    ...DEPENDENCIES,
    description: 'The dependencies that are down: none on a 200.',
    example: {},
  })
  error?: Record<string, DependencyStatus>;

  @ApiProperty({ ...DEPENDENCIES, description: 'Every dependency.' })
  details!: Record<string, DependencyStatus>;
}
