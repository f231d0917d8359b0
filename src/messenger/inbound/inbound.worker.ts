import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { type JobPayloads, QueueName, QueueWorker } from '../../queues';
import { MessengerInboundService } from './inbound.service';

type Payload = JobPayloads[typeof QueueName.MessengerInbound];

/** One job per stored webhook item; the job id is the inbox id. */
@Injectable()
export class MessengerInboundWorker extends QueueWorker<typeof QueueName.MessengerInbound> {
  constructor(
    @InjectQueue(QueueName.MessengerInbound) queue: Queue<Payload>,
    private readonly inbound: MessengerInboundService,
  ) {
    super({ queue, name: QueueName.MessengerInbound });
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
