import type { LedgerEntry, ModelSpend, RoleSpend } from "./store.ts";

/** The in-memory store's spend tables, per model and per role, from its ledger entries (each an attempt). */
export function spendByModel(calls: readonly LedgerEntry[]): ModelSpend[] {
  const by = new Map<string, ModelSpend>();
  for (const c of calls) {
    const s = by.get(c.model) ?? {
      model: c.model,
      calls: 0,
      attempts: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      failed: 0,
      empty: 0,
      truncated: 0,
      unknown: 0,
    };
    tally(s, c);
    if (c.outcome === "empty") s.empty++;
    else if (c.outcome === "truncated") s.truncated++;
    else if (c.outcome === "unknown") s.unknown++;
    else if (c.outcome !== "ok") s.failed++;
    by.set(c.model, s);
  }
  return [...by.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

export function spendByRole(calls: readonly LedgerEntry[]): RoleSpend[] {
  const by = new Map<string, RoleSpend>();
  for (const c of calls) {
    const s = by.get(c.role) ?? {
      role: c.role,
      calls: 0,
      attempts: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    };
    tally(s, c);
    by.set(c.role, s);
  }
  return [...by.values()].sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
}

/** Adds one ledger entry (an attempt; a call when it ended one) to a spend. */
function tally(s: Omit<RoleSpend, "role">, c: LedgerEntry): void {
  s.attempts++;
  if (!c.retried) s.calls++;
  s.inputTokens += c.usage.inputTokens;
  s.outputTokens += c.usage.outputTokens;
  s.costUsd += c.usage.costUsd;
}
