import type { Ordering, Table } from "./api.ts";

// EVOLVE-BLOCK-START
/** Original order: rows as given, fields in column order. The score's 0 anchor (before the runtime term). */
export function reorder(table: Table): Ordering {
  const identity = Array.from({ length: table.columns.length }, (_, c) => c);
  return {
    order: Array.from({ length: table.size }, (_, r) => r),
    fields: Array.from({ length: table.size }, () => identity),
  };
}
// EVOLVE-BLOCK-END
