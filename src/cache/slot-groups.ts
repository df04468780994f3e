import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';

/**
 * The indexes of `keys` grouped by the nodes that serve their slots (outer),
 * then by slot (inner), each in input order: one pipeline per outer group is
 * one round trip per node, and a multi-key command per inner group never
 * crosses a slot. Grouping follows ioredis's own (master and replicas of the
 * slot), so a pipeline built from one group is accepted; a slot whose owner is
 * not known yet is a group of its own (ioredis then follows the redirect).
 * `keyPrefix` is the client's: the slot is that of the key as stored.
 */
export function slotGroups(cluster: Cluster, keyPrefix: string, keys: readonly string[]): number[][][] {
  const nodes = new Map<string, Map<number, number[]>>();
  keys.forEach((key, i) => {
    const slot = calculateSlot(keyPrefix + key);
    const owner = cluster.slots[slot]?.join(';') || `slot ${slot}`;
    const slots = nodes.get(owner) ?? new Map<number, number[]>();
    nodes.set(owner, slots);
    const indexes = slots.get(slot);
    if (indexes === undefined) slots.set(slot, [i]);
    else indexes.push(i);
  });
  return [...nodes.values()].map((slots) => [...slots.values()]);
}

/** Whether the slot of `key` has a replica that a write could wait for. */
export function slotHasReplica(cluster: Cluster, keyPrefix: string, key: string): boolean {
  return (cluster.slots[calculateSlot(keyPrefix + key)]?.length ?? 0) > 1;
}
