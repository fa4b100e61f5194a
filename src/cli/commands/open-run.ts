import { join } from "node:path";
import { livePid, requireRunDir, runFiles } from "../../engine/run-dir.ts";
import { openSqliteStore } from "../../store/sqlite.ts";
import type { Store } from "../../store/store.ts";

/** Opens a run directory's store for reading, with a clear error if it is not one. */
export async function withRunStore<T>(dir: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(join(requireRunDir(dir), runFiles.database));
  try {
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
