import { type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { AppModule } from './app.module';
import { loadConfig } from './config';
import { MAINTENANCE_TASK_NAMES, MaintenanceTask, QueueName, QueueWorker } from './queues';
import { QueueHandlersCheck } from './queues/queue-handlers';
import { WidgetSse } from './widget/widget-sse';
import { WidgetStreamFanOut } from './widget/widget-stream-fan-out';

type ModuleEntry = NonNullable<ModuleMetadata['imports']>[number];

/**
 * Every provider class the app of `role` declares, read from the module metadata alone (nothing
 * is instantiated, so no PostgreSQL or Redis is needed): what the role's process would hold.
 */
function providerClasses(role: string): Type[] {
  return declaredClasses(role).providers;
}

/** Every controller class the app of `role` declares, read the same way. */
function controllerClasses(role: string): Type[] {
  return declaredClasses(role).controllers;
}

function declaredClasses(role: string): { providers: Type[]; controllers: Type[] } {
  const root = AppModule.forRoot(loadConfig({ PROCESS_ROLE: role }));
  const seen = new Set<unknown>();
  const found = new Set<Type>();
  const controllers = new Set<Type>();
  const visit = (entry: ModuleEntry): void => {
    // A module given as a promise or a forward reference is not expected here; skipped.
    if (entry instanceof Promise || seen.has(entry)) return;
    seen.add(entry);
    const dynamic = typeof entry === 'object' && 'module' in entry ? entry : undefined;
    const moduleClass = dynamic ? dynamic.module : entry;
    if (typeof moduleClass !== 'function') return;
    const declared = <T>(key: string, extra: T[] | undefined): T[] => [
      ...((Reflect.getMetadata(key, moduleClass) as T[] | undefined) ?? []),
      ...(extra ?? []),
    ];
    for (const provider of declared<Provider>(MODULE_METADATA.PROVIDERS, dynamic?.providers)) {
      if (typeof provider === 'function') found.add(provider);
      else if ('useClass' in provider) found.add(provider.useClass);
    }
    for (const controller of declared<Type>(MODULE_METADATA.CONTROLLERS, dynamic?.controllers))
      controllers.add(controller);
    for (const imported of declared<ModuleEntry>(MODULE_METADATA.IMPORTS, dynamic?.imports))
      visit(imported);
  };
  visit(root);
  return { providers: [...found], controllers: [...controllers] };
}

const queueWorkers = (classes: Type[]): Type[] =>
  classes.filter((type) => type.prototype instanceof QueueWorker);
const maintenanceTasks = (classes: Type[]): string[] =>
  classes
    .map((type) => Reflect.getMetadata(MaintenanceTask.KEY, type) as { name: string } | undefined)
    .filter((schedule): schedule is { name: string } => schedule !== undefined)
    .map((schedule) => schedule.name)
    .sort();

describe('AppModule.forRoot: the PROCESS_ROLE chooses which providers exist', () => {
  it('gives an api process no queue processor, no maintenance task and no handler check', () => {
    const classes = providerClasses('api');
    expect(queueWorkers(classes)).toEqual([]);
    expect(maintenanceTasks(classes)).toEqual([]);
    expect(classes).not.toContain(QueueHandlersCheck);
    expect(classes).toEqual(expect.arrayContaining([WidgetSse, WidgetStreamFanOut]));
  });

  it('gives a worker process none of the widget streams (no subscriber connection, no timer)', () => {
    const classes = providerClasses('worker');
    expect(classes).not.toContain(WidgetSse);
    expect(classes).not.toContain(WidgetStreamFanOut);
    expect(providerClasses('all')).toEqual(expect.arrayContaining([WidgetSse, WidgetStreamFanOut]));
  });

  it.each(['worker', 'all'])(
    'gives a %s process one processor per queue, every maintenance task and the check',
    (role) => {
      const classes = providerClasses(role);
      expect(queueWorkers(classes)).toHaveLength(Object.values(QueueName).length);
      expect(maintenanceTasks(classes)).toEqual([...MAINTENANCE_TASK_NAMES].sort());
      expect(classes).toContain(QueueHandlersCheck);
    },
  );

  it('builds no controller in a worker process, and every controller where HTTP is served', () => {
    expect(controllerClasses('worker')).toEqual([]);
    const api = controllerClasses('api');
    // The routes of every feature, from the health check to the widget's page.
    expect(api.map((type) => type.name)).toEqual(
      expect.arrayContaining([
        'HealthController',
        'BotsController',
        'ApiKeysController',
        'SegmentsController',
        'ModulesController',
        'ReferralsController',
        'ReferralStatsController',
        'TrackedLinksController',
        'ContactsController',
        'ConversationsController',
        'BroadcastsController',
        'MessengerWebhookController',
        'WidgetController',
        'WidgetPageController',
      ]),
    );
    expect(controllerClasses('all')).toEqual(api);
  });
});
