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
 * the runs in that database until Ctrl-C (which finishes the jobs in hand; a
 * second Ctrl-C exits at once and leaves them to the lease).
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
  process.stderr.write(
    `adrs worker: taking evaluation jobs (${concurrency} at once); Ctrl-C stops, a second Ctrl-C stops at once\n`,
  );
  let signals = 0;
  const stop = () => {
    signals++;
    if (signals === 1) {
      process.stderr.write("adrs worker: stopping once the jobs in hand are done (again to stop at once)\n");
      void worker.stop();
      return;
    }
    // A job in hand can take as long as its task's time limit; the user should not have to wait for it.
    // Nothing is lost: the jobs' leases run out and another worker takes them, as after a crash.
    process.stderr.write(
      "adrs worker: stopped at once; the jobs in hand go to another worker when their lease runs out\n",
    );
    process.exit(130);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const code = await worker.done;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  if (code !== 0) process.exitCode = code;
}
