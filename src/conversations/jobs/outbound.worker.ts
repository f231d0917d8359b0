import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { type JobPayloads, QueueName, QueueWorker } from '../../queues';
import { OutboundService } from '../outbound.service';

type Payload = JobPayloads[typeof QueueName.Outbound];

/** One job per reply: sends its messages through the conversation's channel. */
@Injectable()
export class OutboundWorker extends QueueWorker<typeof QueueName.Outbound> {
  constructor(
    @InjectQueue(QueueName.Outbound) queue: Queue<Payload>,
    private readonly outbound: OutboundService,
  ) {
    super({ queue, name: QueueName.Outbound });
  }

  protected handle(job: Job<Payload>): Promise<void> {
    return this.outbound.send(job.data.replyId, this.isLastAttempt(job));
  }
}
