import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { findPlugIns } from '../common/plug-ins';
import { MaintenanceTask, type MaintenanceSchedule } from './maintenance-task';
import { MAINTENANCE_TASK_NAMES, QueueName } from './queue-catalogue';
import { QueueWorker } from './queue-worker';

/**
 * Throws unless each of `wanted` appears exactly once in `found` and `found` holds nothing else:
 * a job nobody handles waits forever, and two handlers of one job would both take it.
 * `kind` names what is counted in the message ("queue", "maintenance task").
 */
export function assertOneHandlerEach(
  kind: string,
  wanted: readonly string[],
  found: readonly string[],
): void {
  const counts = new Map<string, number>();
  for (const name of found) counts.set(name, (counts.get(name) ?? 0) + 1);
  const problems = [
    ...wanted.filter((name) => !counts.has(name)).map((name) => `no handler for ${kind} ${name}`),
    ...[...counts]
      .filter(([, count]) => count > 1)
      .map(([name, count]) => `${count} handlers for ${kind} ${name}`),
    ...[...counts.keys()]
      .filter((name) => !wanted.includes(name))
      .map((name) => `a handler for ${kind} ${name}, which the catalogue does not list`),
  ];
  if (problems.length > 0)
    throw new Error(`Job handlers do not match the catalogue: ${problems.join('; ')}`);
}

/**
 * At boot of a process that takes jobs: every queue of the catalogue (`queue-catalogue.ts`) has
 * exactly one QueueWorker, and every maintenance task exactly one MaintenanceTask, found among the
 * app's providers; else boot fails. A provider of QueueWorkersModule, which only processes whose
 * PROCESS_ROLE runs workers import: an api process holds no handlers and is not held to it.
 */
@Injectable()
export class QueueHandlersCheck implements OnModuleInit {
  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const instances = this.discovery.getProviders().map((wrapper) => wrapper.instance as unknown);
    assertOneHandlerEach(
      'queue',
      Object.values(QueueName),
      instances
        .filter((i): i is QueueWorker<QueueName> => i instanceof QueueWorker)
        .map((worker) => worker.queueName),
    );
    assertOneHandlerEach(
      'maintenance task',
      MAINTENANCE_TASK_NAMES,
      findPlugIns<MaintenanceSchedule, MaintenanceTask>(this.discovery, MaintenanceTask).map(
        (task) => task.metadata.name,
      ),
    );
  }
}
