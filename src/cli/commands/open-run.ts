import { join } from "node:path";
import { InputError } from "../../core/errors.ts";
import { holdsRun, livePid, noRunMessage, requireRunDir, runFiles } from "../../engine/run-dir.ts";
import { openSqliteStore } from "../../store/sqlite.ts";
import type { Store } from "../../store/store.ts";

/**
 * Opens a run directory's store read-only (a reader never writes, not even
 * to a database that holds nothing yet), with a clear error if it is not a
 * run directory or its run never started.
 */
export async function withRunStore<T>(dir: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(join(requireRunDir(dir), runFiles.database), { readonly: true });
  try {
    if (!(await holdsRun(store))) throw new InputError(noRunMessage(dir));
    return await use(store);
  } finally {
    await store.close();
  }
}

/** "running" only while the process holding the run is alive; a dead holder means it was killed. */
export function liveState(dir: string, stored: string): string {
  if (stored === "running" && livePid(dir) === null) return "interrupted";
  return stored;
}
