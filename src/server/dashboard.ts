import { Catalog } from "./catalog.ts";
import { LiveRun } from "./live-run.ts";
import { compareEntry, comparePayload, readSummary } from "./compares.ts";
import type { CompareEntry, ComparePayload, RunEntry } from "./payloads.ts";

export interface DashboardOptions {
  /** Run folders, or folders holding runs. */
  folders: string[];
  /** How often every run's event log is read for new events. */
  pollMs?: number;
  /** How often the folders are searched for runs started since. */
  rescanMs?: number;
  /** The PostgreSQL database of every run found (`--store`), instead of each run's own store. */
  store?: string;
}

/** Polls fast enough that a stored event reaches an open page well within a second. */
export const DEFAULT_POLL_MS = 200;
const DEFAULT_RESCAN_MS = 2000;

/**
 * Every run under the given folders, followed live: one loop reads each run's
 * new events in turn (never two reads of one store at once), and tells the
 * runs page when any run changed.
 */
export class Dashboard {
  private readonly catalog: Catalog;
  private readonly runs = new Map<string, LiveRun>();
  /** Why a run could not be read, by run id (shown in the log once, retried at each scan). */
  private readonly failures = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private lastScan = 0;
  private closed = false;
  private ticking: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: Required<Omit<DashboardOptions, "store">> & Pick<DashboardOptions, "store">,
    private readonly log: (line: string) => void,
  ) {
    this.catalog = new Catalog(options.folders);
  }

  /** Finds the runs and reads them all once before returning, so the first page shows them. */
  static async start(options: DashboardOptions, log: (line: string) => void = () => {}): Promise<Dashboard> {
    const dashboard = new Dashboard(
      { pollMs: DEFAULT_POLL_MS, rescanMs: DEFAULT_RESCAN_MS, ...options },
      log,
    );
    await dashboard.tick();
    dashboard.schedule();
    return dashboard;
  }

  list(): RunEntry[] {
    return [...this.runs.values()].map((run) => run.entry());
  }

  /** The comparisons under the folders (read from disk at each call: they change only when a compare ends). */
  compares(): CompareEntry[] {
    return this.catalog.scanCompares().flatMap((found) => {
      const summary = readSummary(found.dir);
      return summary ? [compareEntry(found, summary)] : [];
    });
  }

  compare(id: string): ComparePayload | undefined {
    const found = this.catalog.scanCompares().find((c) => c.id === id);
    const summary = found && readSummary(found.dir);
    if (!found || !summary) return undefined;
    return comparePayload(
      found,
      summary,
      [...this.runs.values()].map((r) => r.catalog),
    );
  }

  get(id: string): LiveRun | undefined {
    return this.runs.get(id);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads new events now instead of at the next tick (tests, and right after a steering write). */
  refresh(): Promise<void> {
    this.ticking = this.ticking.then(() => this.tick());
    return this.ticking;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    this.listeners.clear();
    await Promise.all([...this.runs.values()].map((run) => run.close()));
    this.runs.clear();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.ticking = this.ticking.then(() => this.tick());
      void this.ticking.then(() => this.schedule());
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    let changed = false;
    // Runs nobody follows are only listed: their summaries are checked at the slower pace of scans.
    const scanning = Date.now() - this.lastScan >= this.options.rescanMs;
    if (scanning) {
      this.lastScan = Date.now();
      changed = await this.scan();
    }
    for (const [id, run] of this.runs) {
      if (!scanning && !run.isFollowed) continue;
      try {
        if (await run.poll()) changed = true;
        this.failures.delete(id);
      } catch (e) {
        this.fail(id, run.catalog.name, e);
      }
    }
    if (changed) for (const listener of this.listeners) listener();
  }

  private async scan(): Promise<boolean> {
    let changed = false;
    const found = this.catalog.scan();
    const present = new Set(found.map((e) => e.id));
    // A run folder that was deleted leaves the list.
    for (const [id, run] of this.runs) {
      if (present.has(id)) continue;
      this.runs.delete(id);
      await run.close().catch(() => {});
      changed = true;
    }
    for (const entry of found) {
      if (this.runs.has(entry.id)) continue;
      try {
        this.runs.set(entry.id, await LiveRun.open(entry, this.options.store));
        changed = true;
      } catch (e) {
        this.fail(entry.id, entry.name, e);
      }
    }
    return changed;
  }

  private fail(id: string, name: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    if (this.failures.get(id) !== message) this.log(`cannot read run ${name}: ${message}`);
    this.failures.set(id, message);
  }
}
