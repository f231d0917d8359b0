import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { type JobPayloads, QueueName, QueueWorker } from '../../queues';
import { InboundInHand } from './in-hand';
import { MessengerInboundService } from './inbound.service';

type Payload = JobPayloads[typeof QueueName.MessengerInbound];

/**
 * One job per stored webhook item that was queued; the job id is the inbox id. The process it runs
 * in also takes its own webhook's items in hand (InboundInHand) while it takes jobs.
 */
@Injectable()
export class MessengerInboundWorker extends QueueWorker<typeof QueueName.MessengerInbound> {
  constructor(
    @InjectQueue(QueueName.MessengerInbound) queue: Queue<Payload>,
    private readonly inbound: MessengerInboundService,
    private readonly inHand: InboundInHand,
  ) {
    super({ queue, name: QueueName.MessengerInbound });
  }

  override async onApplicationBootstrap(): Promise<void> {
    await super.onApplicationBootstrap();
    this.inHand.start();
  }

  override async beforeApplicationShutdown(): Promise<void> {
    await this.inHand.stop();
    await super.beforeApplicationShutdown();
  }

  protected async handle(job: Job<Payload>): Promise<void> {
    try {
      await this.inbound.process(job.data.inboxId);
    } catch (error) {
      if (this.isLastAttempt(job))
        await this.inbound.fail(job.data.inboxId, (error as Error).message);
      throw error;
    }
  }
}
