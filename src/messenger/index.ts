export { MessengerModule } from './messenger.module';
export { MessengerHttpModule } from './messenger-http.module';
export { MessengerWorkersModule } from './messenger-workers.module';
