export { MessengerModule } from './messenger.module';
