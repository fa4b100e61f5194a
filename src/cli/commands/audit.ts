import { basename } from "node:path";
import { type AuditSplit, auditProgram, modelsRefusal, renderAudit } from "../../audit/index.ts";
import { ProcessSandbox } from "../../sandbox/index.ts";
import { loadTask } from "../../task/load.ts";
import { UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import { readProgram } from "./eval.ts";

export interface AuditFlags {
  baseline?: string;
  split?: AuditSplit;
  json?: boolean;
  /** Milliseconds (parsed from --timeout): per probe, two calls. */
  timeout?: number;
  memoryMb?: number;
}

/**
 * `adrs audit <task> <program>`: the program and a baseline (the task's seed
 * unless --baseline names a file) on every probe of train, test and stress;
 * a verdict per weakness class (docs/audit.md). Exit 1 when a weakness is found.
 */
export async function auditCommand(taskRef: string, file: string, flags: AuditFlags): Promise<void> {
  const code = readProgram(file);
  const baselineCode = flags.baseline === undefined ? undefined : readProgram(flags.baseline);
  const task = await loadTask(taskRef);
  if (task.external)
    throw new UsageError(`task ${task.id} has an external evaluator: adrs audit runs sandboxed tasks only`);
  if (task.models) throw new UsageError(modelsRefusal(task.id));
  const sandbox = new ProcessSandbox({ concurrency: 2, log: (line) => process.stderr.write(`${line}\n`) });
  const progress = progressLine();
  let report: Awaited<ReturnType<typeof auditProgram>>;
  try {
    report = await auditProgram({
      task,
      sandbox,
      code,
      ...(baselineCode === undefined ? {} : { baselineCode, baselineFile: flags.baseline }),
      sourcefile: file,
      ...(flags.split === undefined ? {} : { splits: [flags.split] }),
      limits: {
        ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
        ...(flags.memoryMb === undefined ? {} : { memoryMb: flags.memoryMb }),
      },
      onProgress: progress,
    });
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("the baseline does not compile"))
      throw new UsageError(`${flags.baseline ?? task.initialPath}: ${err.message}`);
    throw err;
  } finally {
    await sandbox.close();
  }
  if (report.weaknesses.length > 0) process.exitCode = EXIT.failed;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ program: file, baseline: flags.baseline ?? null, ...report }, null, 2)}\n`,
    );
    return;
  }
  const baseline = flags.baseline ?? `the seed (${basename(task.initialPath)})`;
  process.stdout.write(`${renderAudit(report, { program: file, baseline })}\n`);
}

/** Progress on stderr for long audits: a line at most every two seconds, and the last. */
function progressLine(): (done: number, total: number, what: string) => void {
  let last = 0;
  return (done, total, what) => {
    const now = Date.now();
    if (done < total && now - last < 2000) return;
    last = now;
    process.stderr.write(`audit: ${done}/${total} runs (${what})\n`);
  };
}
