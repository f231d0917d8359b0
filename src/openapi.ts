import { type INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { ACCESS_DESCRIPTIONS, routeAccess } from './auth';
import { MODULE_CONFIG_SCHEMA, moduleConfigSchema, ModuleTypeRegistry } from './modules';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Bot platform API')
    .setDescription(
      'Management API of the bot platform (bots, API keys, referrals, content, modules, segments) and the ' +
        'public channel endpoints. Every error has the body `{ statusCode, error, message, code, details? }` ' +
        'with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      // Opaque tokens, not JWTs: the admin token or a bot API key, compared as a whole.
      bearerFormat: 'opaque',
      description: 'The admin token or a bot API key (bpk_...)',
    })
    .build();
  // Module configs are documented from the registered types, so a new type documents itself.
  const configClasses = app.get(ModuleTypeRegistry, { strict: false }).configClasses();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
    extraModels: configClasses.map(([, dto]) => dto),
  });
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[MODULE_CONFIG_SCHEMA] = moduleConfigSchema(configClasses);
  // ModulesService refuses a type the registry does not know: the schema says which it knows.
  const created = document.components.schemas.CreateModuleDto as SchemaObject | undefined;
  const type = created?.properties?.type as SchemaObject | undefined;
  if (type) type.enum = configClasses.map(([name]) => name);
  describeAccess(app, document);
  return document;
}

/** Ends each operation's description with who may call it, read from the guard's own metadata. */
function describeAccess(app: INestApplication, document: OpenAPIObject): void {
  const access = routeAccess(app);
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as {
      operationId?: string;
      description?: string;
    }[]) {
      const rule = operation.operationId ? access.get(operation.operationId) : undefined;
      if (!rule) continue;
      const sentence = ACCESS_DESCRIPTIONS[rule];
      operation.description = operation.description
        ? `${operation.description}\n\n${sentence}`
        : sentence;
    }
  }
}

/**
 * Swagger UI at /docs, the JSON document at /docs-json. The document is built on first request:
 * the module type registry finds its types at init, after the routes are set up.
 */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
}
