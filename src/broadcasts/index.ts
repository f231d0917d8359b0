export { BroadcastsModule } from './broadcasts.module';
export { BroadcastsHttpModule } from './broadcasts-http.module';
export { BroadcastsWorkersModule } from './broadcasts-workers.module';
export { BroadcastsService } from './broadcasts.service';
export { BROADCAST_STATUSES, type BroadcastStatus } from './entities/broadcast.entity';
export { BROADCAST_TAGS, SKIP_REASONS, type SkipReason } from './messaging-policy';
