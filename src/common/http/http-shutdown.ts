import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/**
 * Shutdown order: stop taking HTTP first (requests in flight finish), then the queue workers finish
 * their jobs, then connections close. Nest would otherwise close HTTP after the workers.
 */
@Injectable()
export class HttpShutdown implements BeforeApplicationShutdown {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  private readonly logger = new Logger('Shutdown');

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.logger.log(
      `Shutting down${signal ? ` on ${signal}` : ''}: HTTP stopped, finishing jobs in flight`,
    );
  }
}
