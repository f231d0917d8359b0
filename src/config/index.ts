export {
  AppConfig,
  ConfigError,
  loadConfig,
  type MessengerConfig,
  withoutCredentials,
} from './app-config';
export { ConfigModule } from './config.module';
export type { LogLevel, NodeEnv, ProcessRole } from './environment';
