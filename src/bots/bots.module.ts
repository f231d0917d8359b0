import { DiscoveryModule } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretCipher } from '../common/crypto/secret-cipher';
import { AppConfig } from '../config';
import { BotsService } from './bots.service';
import { Bot } from './entities/bot.entity';
import { MessengerConnection } from './entities/messenger-connection.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Bot, MessengerConnection]), DiscoveryModule],
  providers: [
    BotsService,
    {
      provide: SecretCipher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new SecretCipher(config.secretsKey),
    },
  ],
  exports: [BotsService],
})
export class BotsModule {}
