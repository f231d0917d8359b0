import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { ApiKey } from './entities/api-key.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), BotsModule],
  providers: [ApiKeysService, { provide: APP_GUARD, useClass: AuthGuard }],
  // For AuthHttpModule.
  exports: [ApiKeysService],
})
export class AuthModule {}
