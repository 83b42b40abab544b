// The Redis names of a deployment's delivery queues, shared by the workers and `spout deliveries`.

/** The BullMQ queue of an output instance's deliveries (BullMQ forbids ':' in names; instance names hold none). */
export const deliveryQueueName = (instance: string) => `deliveries-${instance}`;
/** The key prefix of a deployment's queues. */
export const queuePrefix = (deployment: string) => `spout:${deployment}:bull`;
/** Set when an instance's endpoint answered 410: every instance stops sending to it. */
export const disabledKey = (deployment: string, instance: string) =>
  `spout:${deployment}:deliveries:${instance}:disabled`;
