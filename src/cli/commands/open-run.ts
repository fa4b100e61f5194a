import { livePid } from "../../engine/run-dir.ts";
import { openExistingRun } from "../../engine/run-store.ts";
import type { Store } from "../../store/store.ts";

/**
 * Opens a run's store read-only (a reader never writes, not even to a
 * database that holds nothing yet), with a clear error if there is no such
 * run: its folder's run.db, or the PostgreSQL database of `--store` (or of its
 * config).
 */
export async function withRunStore<T>(
  dir: string,
  use: (store: Store) => Promise<T>,
  store?: string,
): Promise<T> {
  const opened = await openExistingRun(dir, { readonly: true, ...(store ? { store } : {}) });
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}

/** "running" only while the process holding the run is alive; a dead holder means it was killed. */
export function liveState(dir: string, stored: string): string {
  if (stored === "running" && livePid(dir) === null) return "interrupted";
  return stored;
}
