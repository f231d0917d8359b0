export { MessengerModule } from './messenger.module';
export { MessengerWorkersModule } from './messenger-workers.module';
