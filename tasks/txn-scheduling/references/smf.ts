import { rng, type Workload } from "./api.ts";

// EVOLVE-BLOCK-START
const SAMPLE_SIZE = 10;

/**
 * Shortest-Makespan-First (VLDB'24): start from a random transaction, then
 * repeatedly look at a random sample of the unscheduled ones and append the
 * one that keeps the makespan of the partial schedule smallest.
 */
export function schedule(workload: Workload): number[] {
  const random = rng(42);
  const remaining = Array.from({ length: workload.size }, (_, i) => i);
  const order: number[] = [];
  const take = (index: number): void => {
    order.push(remaining[index] as number);
    remaining[index] = remaining[remaining.length - 1] as number;
    remaining.pop();
  };
  take(random.int(remaining.length));
  while (remaining.length > 0) {
    const k = Math.min(SAMPLE_SIZE, remaining.length);
    // Partial Fisher–Yates: the sample ends up in remaining[0 … k−1].
    for (let s = 0; s < k; s++) {
      const j = s + random.int(remaining.length - s);
      [remaining[s], remaining[j]] = [remaining[j] as number, remaining[s] as number];
    }
    let best = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let s = 0; s < k; s++) {
      order.push(remaining[s] as number);
      const cost = workload.makespan(order);
      order.pop();
      if (cost < bestCost) {
        bestCost = cost;
        best = s;
      }
    }
    take(best);
  }
  return order;
}
// EVOLVE-BLOCK-END
