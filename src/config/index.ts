export { AppConfig, ConfigError, loadConfig, type MessengerConfig } from './app-config';
export { ConfigModule } from './config.module';
export type { LogLevel, NodeEnv, ProcessRole } from './environment';
