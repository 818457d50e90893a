import type { QueueConfig, QueueParams } from '../config/queues.js';
import type { Throttle } from '../config/values.js';
import type { Job } from './job.js';

/** One message rate a job must pass before routing; `key` names its counter (the shaping gate's site). */
export interface RateStage {
  readonly key: string;
  readonly rate: Throttle;
}

/**
 * The message rates a job passes on its way to a ready queue, in order: its scheduled
 * queue's `max_message_rate`, its tenant's `overall_max_message_rate` ([tenant.'t']) and its
 * campaign's ([tenant.'t'.campaigns.'c']), each counted across every queue that shares it. KumoMTA's
 * queue helper applies the last two in its throttle_insert_ready_queue handler; there the
 * campaign's throttle is made from the tenant's spec, which reads as a slip: kumo-ts uses
 * the campaign's own rate, as the file says.
 */
export function rateStages(queues: QueueConfig, job: Job, params: QueueParams): RateStage[] {
  const out: RateStage[] = [];
  if (params.maxMessageRate) out.push({ key: `queue:${job.queue}`, rate: params.maxMessageRate });
  const tenant = job.meta.tenant;
  const t = tenant !== undefined ? queues.tenants.get(tenant) : undefined;
  if (t?.overallMaxMessageRate) out.push({ key: `tenant:${tenant}`, rate: t.overallMaxMessageRate });
  const campaign = job.meta.campaign;
  const c = campaign !== undefined ? t?.campaignRates.get(campaign) : undefined;
  if (c) out.push({ key: `campaign:${tenant}:${campaign}`, rate: c });
  return out;
}
