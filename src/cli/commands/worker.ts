import { parseDuration } from "../../core/duration.ts";
import { isPostgresUrl } from "../../store/postgres/index.ts";
import { UsageError } from "../errors.ts";

interface WorkerFlags {
  store?: string;
  concurrency?: number;
  lease?: string;
}

/**
 * `adrs worker --store postgres://… [--concurrency N]`: evaluates the jobs of
 * the runs in that database until Ctrl-C (which finishes the jobs in hand).
 */
export async function workerCommand(flags: WorkerFlags): Promise<void> {
  if (!flags.store || !isPostgresUrl(flags.store)) {
    throw new UsageError(
      "--store: a worker needs the runs' PostgreSQL database (postgres://user@host:5432/database)",
    );
  }
  const leaseSeconds = flags.lease === undefined ? 30 : parseDuration(flags.lease);
  if (leaseSeconds === null || leaseSeconds <= 0) {
    throw new UsageError(`--lease: expected seconds or a duration like "30s", got "${flags.lease}"`);
  }
  const { startWorker } = await import("../../queue/worker.ts");
  const concurrency = flags.concurrency ?? 1;
  const worker = await startWorker({
    url: flags.store,
    concurrency,
    leaseMs: leaseSeconds * 1000,
    log: (line) => process.stderr.write(`adrs worker: ${line}\n`),
  });
  process.stderr.write(`adrs worker: taking evaluation jobs (${concurrency} at once); Ctrl-C stops\n`);
  const stop = () => {
    process.stderr.write("adrs worker: stopping once the jobs in hand are done\n");
    void worker.stop();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const code = await worker.done;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  if (code !== 0) process.exitCode = code;
}
