import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { type JobPayloads, QueueName, QueueWorker } from '../../queues';
import { BroadcastRunner } from '../broadcast-runner';

type Payload = JobPayloads[typeof QueueName.Broadcasts];

/** One job per broadcast run: materialise, then send until nobody is pending or it is paused. */
@Injectable()
export class BroadcastWorker extends QueueWorker<typeof QueueName.Broadcasts> {
  constructor(
    @InjectQueue(QueueName.Broadcasts) queue: Queue<Payload>,
    private readonly runner: BroadcastRunner,
  ) {
    super({ queue, name: QueueName.Broadcasts });
  }

  protected handle(job: Job<Payload>): Promise<void> {
    return this.runner.run(job.data.broadcastId);
  }
}
