import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createHttpApp, createWorkerContext } from './app.factory';
import { adminTokenBanner, limitHeapGrowth, waitForServices } from './boot';
import { type AppConfig, ConfigError, loadConfig } from './config';

const writeLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function warnAboutDefaults(config: AppConfig, logger: Logger): void {
  // Only a process serving HTTP takes the admin token; the token itself is never logged (stderr banner).
  if (config.adminTokenGenerated && config.runsHttp) {
    logger.warn('ADMIN_TOKEN is not set; the admin token of this run is printed on stderr');
  }
  if (config.secretsKeyIsDevDefault)
    logger.warn('SECRETS_KEY is not set; using the development-only key');
  if (!config.messenger.appSecret)
    logger.warn('MESSENGER_APP_SECRET is not set; Messenger webhooks are refused');
}

async function bootstrap(): Promise<void> {
  limitHeapGrowth();
  const config = loadConfig();
  const logger = new Logger('Bootstrap');
  await waitForServices(config, writeLine);
  if (!config.runsHttp) {
    const worker = await createWorkerContext(config);
    worker.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    warnAboutDefaults(config, logger);
    logger.log('Queue workers started (PROCESS_ROLE=worker)');
    return;
  }
  const app = await createHttpApp(config);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  warnAboutDefaults(config, logger);
  await app.listen(config.port, config.host);
  logger.log(
    `Listening on ${config.host}:${config.port} (PROCESS_ROLE=${config.processRole}); API docs at /docs`,
  );
  const banner = adminTokenBanner(config);
  if (banner) process.stderr.write(banner);
}

bootstrap().catch((error: unknown) => {
  // A configuration problem gets its one clear line; anything else its stack.
  const line =
    error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`${line}\n`);
  process.exit(1);
});
