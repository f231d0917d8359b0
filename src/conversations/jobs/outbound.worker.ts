import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { type JobPayloads, QueueName, QueueWorker } from '../../queues';
import { OutboundService, ReplyHeldError } from '../outbound.service';

type Payload = JobPayloads[typeof QueueName.Outbound];

/**
 * One job per reply: sends its messages through the conversation's channel. A reply another live
 * run holds (ReplyHeldError) ends the job without spending an attempt: that run finishes it or
 * hands it on, and the reply sweeper queues it again should that run's process die.
 */
@Injectable()
export class OutboundWorker extends QueueWorker<typeof QueueName.Outbound> {
  constructor(
    @InjectQueue(QueueName.Outbound) queue: Queue<Payload>,
    private readonly outbound: OutboundService,
  ) {
    super({ queue, name: QueueName.Outbound });
  }

  protected async handle(job: Job<Payload>): Promise<void> {
    try {
      await this.outbound.send(job.data.replyId, this.isLastAttempt(job));
    } catch (error) {
      if (!(error instanceof ReplyHeldError)) throw error;
    }
  }
}
