import { Controller, Get, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/http/access.decorators';
import { ApiErrors, AppError } from '../common/errors';
import { HealthDto } from './dto/health.dto';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('Health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Postgres and Redis reachability; 503 (code UNHEALTHY) when one is down',
  })
  @ApiOkResponse({ type: HealthDto, description: 'Both are up.' })
  @ApiErrors(503)
  async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 1500 }),
        () => this.redis.pingCheck('redis'),
      ]);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        throw new AppError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'UNHEALTHY',
          'A dependency is down',
          error.getResponse(),
        );
      }
      throw error;
    }
  }
}
