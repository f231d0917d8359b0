import { type INestApplicationContext, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AppModule, type AppOptions } from './app.module';
import { AllExceptionsFilter, validationException } from './common/errors';
import {
  answerNodeRefusals,
  refuseMissingHost,
  refuseRequestsWhileClosing,
  sendClientError,
  sendFrameworkError,
} from './common/http/framework-errors';
import { useJsonBodyOnly } from './common/http/json-body';
import { rejectNulOnManagementApi } from './common/http/nul-guard';
import { requestId, webhookRefusalLogger } from './common/logging/logger-options';
import { requestContext } from './common/logging/request-context';
import { type AppConfig } from './config';
import { setupOpenApi } from './openapi';
import { WidgetService, widgetCorsHook } from './widget';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The HTTP application (roles `all` and `api`), configured exactly as production runs it. */
export async function createHttpApp(
  config: AppConfig,
  options: AppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    // A tracked link's param is up to 100 characters, each up to 3 once URL-encoded (`=` is %3D).
    routerOptions: { maxParamLength: 300 },
    logger: false,
    requestIdHeader: false,
    genReqId: requestId,
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: sendClientError,
    // refuseRequestsWhileClosing answers instead, in the one error body.
    return503OnClosing: false,
    // Node's own answer to a missing Host is a bare 400: refuseMissingHost answers instead.
    http: { requireHostHeader: false },
  });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  adapter.getInstance().addHook('onRequest', refuseMissingHost);
  requestContext.register(adapter.getInstance());
  const refusals = webhookRefusalLogger(config, () => PinoLogger.root);
  if (refusals) adapter.getInstance().addHook('onResponse', refusals);
  answerNodeRefusals(adapter.getInstance().server);
  refuseRequestsWhileClosing(adapter.getInstance());
  // Registered before Nest adds its routes (Fastify applies hooks to routes added after them); the
  // service is looked up when a request comes.
  adapter.getInstance().addHook(
    'onRequest',
    widgetCorsHook(config.publicBaseUrl, () => app.get(WidgetService)),
  );
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options),
    adapter,
    {
      rawBody: true,
      bodyParser: false,
      bufferLogs: true,
    },
  );
  useJsonBodyOnly(app, BODY_LIMIT_BYTES);
  rejectNulOnManagementApi(app);
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) => validationException(errors),
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  setupOpenApi(app);
  await app.init();
  return app;
}

/** Queue workers without HTTP (role `worker`). */
export async function createWorkerContext(
  config: AppConfig,
  options: AppOptions = {},
): Promise<INestApplicationContext> {
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config, options), {
    bufferLogs: true,
  });
  context.useLogger(context.get(Logger));
  await context.init();
  return context;
}
