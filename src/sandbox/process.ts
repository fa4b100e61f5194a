import { realpathSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Child } from "./child.ts";
import { childCommand, type Profile, profileOf } from "./child-command.ts";
import { runCommandJob } from "./command.ts";
import { type Detected, detectProtection } from "./detect.ts";
import { trackGroup, untrackGroup } from "./groups.ts";
import type { ProtectionChoice } from "./protection.ts";
import type { CommandJob, CommandResult, Protection, Sandbox, SandboxJob, SandboxResult } from "./sandbox.ts";

export interface ProcessSandboxOptions {
  /** Jobs that run at once; more wait in line (their clock starts when they start). Default: cores. */
  concurrency?: number;
  /**
   * Child processes kept started and waiting (each serves one job, then a new one
   * takes its place), so a job does not wait for a process to boot. Default:
   * `concurrency`; 0 starts a process per job.
   */
  warm?: number;
  /** Combined size of all outputs of one job, as JSON. Default 16 MB. */
  maxOutputBytes?: number;
  /** How much of the child's stdout/stderr to keep for the log. Default 4 KB. */
  logBytes?: number;
  /**
   * Also set kernel limits on each child: CPU time (a backstop for a child that
   * outlives its parent while spinning) and address space. Default true on Linux.
   */
  cpuLimit?: boolean;
  /** The node binary; default: the running one. */
  nodePath?: string;
  /** Operating-system protection: `auto` (default) uses bubblewrap where it works, else the fallback. */
  protection?: ProtectionChoice;
  /** Where the one line saying which protection is in force goes; default stderr. */
  log?: (line: string) => void;
  /** A tag on each child's command line (`--label=…`), to find them in `ps`. */
  label?: string;
  /**
   * Told when a job is handed to its process (`start`: its clock starts) and
   * when that job is over (`end`): for progress displays, and for tests that
   * must know a job is running rather than guess it from the time.
   */
  onJob?: (event: "start" | "end") => void;
}

const MB = 1024 * 1024;
/** Profiles (memory limit, CPU backstop) that keep waiting children at once. */
const MAX_PROFILES = 2;

/**
 * Runs each job in a fresh `node` child process, and the candidate inside an
 * isolated-vm isolate in that child: a crash, a heap blow-up or an endless
 * loop ends that child, never the engine. Each child is the leader of its own
 * process group, so a limit kills whatever it spawned too; where bubblewrap
 * works, the child also has no network and a read-only view of the system.
 */
export class ProcessSandbox implements Sandbox {
  /** Jobs that run at once. */
  readonly concurrency: number;
  private readonly warm: number;
  private readonly maxOutputBytes: number;
  private readonly logBytes: number;
  private readonly cpuLimit: boolean;
  private readonly nodePath: string;
  private readonly choice: ProtectionChoice;
  private readonly log: (line: string) => void;
  private readonly label: string | undefined;
  private readonly onJob: (event: "start" | "end") => void;
  private readonly waiting: Array<() => void> = [];
  private readonly live = new Set<{ abort(error: Error): void; result: Promise<unknown> }>();
  /** Waiting children by profile, most recently used profile last. */
  private readonly idle = new Map<string, Child[]>();
  private running = 0;
  private closed = false;
  private detected: Detected | undefined;
  private detecting: Promise<Detected> | undefined;

  constructor(options: ProcessSandboxOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.warm = Math.max(0, options.warm ?? this.concurrency);
    this.maxOutputBytes = options.maxOutputBytes ?? 16 * MB;
    this.logBytes = options.logBytes ?? 4096;
    this.cpuLimit = (options.cpuLimit ?? true) && process.platform === "linux";
    this.nodePath = realpathSync(options.nodePath ?? process.execPath);
    this.choice = options.protection ?? "auto";
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.label = options.label;
    this.onJob = options.onJob ?? (() => undefined);
  }

  /** The protection in force, once known (after `ready()` or the first job). */
  get protection(): Protection | undefined {
    return this.detected?.protection;
  }

  /** Finds out which protection works here (once per process) and says it once in the log. */
  async ready(): Promise<Protection> {
    // One probe for all callers: a second caller waits for the first one's answer.
    this.detecting ??= detectProtection(this.choice, this.nodePath, this.log);
    this.detected = await this.detecting;
    return this.detected.protection;
  }

  async run(job: SandboxJob): Promise<SandboxResult> {
    return this.withSlot(async () => {
      await this.ready();
      if (this.closed) throw closedError();
      const profile = profileOf(job);
      let child = this.take(profile);
      child.claim();
      this.live.add(child);
      try {
        try {
          await child.ready;
        } catch {
          if (this.closed) throw closedError();
          // A waiting child died (the machine's OOM killer, say): one fresh try, then give up.
          child.dispose();
          this.live.delete(child);
          child = this.spawn(profile);
          child.claim();
          this.live.add(child);
          await child.ready.catch((e: unknown) => {
            throw this.closed ? closedError() : e instanceof Error ? e : new Error(String(e));
          });
        }
        if (this.closed) throw closedError();
        this.onJob("start");
        try {
          return await child.start(job);
        } finally {
          this.onJob("end");
        }
      } finally {
        this.live.delete(child);
        // The replacement starts once this job's answer is on its way: starting a process
        // blocks this thread for a moment, which would delay the answer.
        setImmediate(() => this.refill(profile));
      }
    });
  }

  /** Runs an external evaluator's command under the same limits and protection. */
  async runCommand(job: CommandJob): Promise<CommandResult> {
    return this.withSlot(async () => {
      const detected = await this.detect();
      if (this.closed) throw closedError();
      let abort!: (error: Error) => void;
      const aborted = new Promise<never>((_, reject) => {
        abort = reject;
      });
      aborted.catch(() => undefined);
      const result = runCommandJob(job, {
        bwrap: detected.protection.kind === "bwrap" ? detected.bwrap : undefined,
        maxOutputBytes: this.maxOutputBytes,
        logBytes: this.logBytes,
        kernelLimits: this.cpuLimit,
        onSpawn: trackGroup,
        onExit: untrackGroup,
        aborted,
      });
      this.onJob("start");
      const entry = { abort, result };
      this.live.add(entry);
      try {
        return await result;
      } finally {
        this.live.delete(entry);
        this.onJob("end");
      }
    });
  }

  /**
   * Starts `count` waiting children for jobs with these limits now (once the
   * protection is known), so that the next jobs need not wait for a process to
   * boot: `adrs eval` calls it before it loads the task.
   */
  prewarm(limits: Pick<SandboxJob, "timeoutMs" | "memoryMb" | "cpuMs">, count = this.warm): Promise<void> {
    const profile = profileOf({ script: "", inputs: [], ...limits });
    // Resolves once they are started (not booted: `warmed()` waits for that); never rejects.
    return this.ready().then(
      () => this.refill(profile, count),
      () => undefined,
    );
  }

  /** Children started and waiting for a job (booted or booting). */
  idleChildren(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** Resolves once every waiting child has booted (benchmarks; an engine never needs to wait). */
  async warmed(): Promise<void> {
    const all = [...this.idle.values()].flat();
    // Waiting children do not hold the event loop open: this wait must.
    const hold = setInterval(() => undefined, 1000);
    try {
      await Promise.all(all.map((c) => c.ready.catch(() => undefined)));
    } finally {
      clearInterval(hold);
    }
  }

  /** Kills every live child; running and waiting jobs reject with "closed". */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    for (const list of this.idle.values()) for (const c of list) c.dispose();
    this.idle.clear();
    const settled = [...this.live].map((j) => j.result.catch(() => undefined));
    for (const j of this.live) j.abort(closedError());
    await Promise.all(settled);
  }

  private async detect(): Promise<Detected> {
    await this.ready();
    return this.detected as Detected;
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("ProcessSandbox is closed");
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new Error("ProcessSandbox is closed");
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** A waiting child for this profile, or a new one. */
  private take(profile: Profile): Child {
    return this.waitingList(profile).shift() ?? this.spawn(profile);
  }

  /** Starts children until `count` (default `warm`) of them wait for this profile. */
  private refill(profile: Profile, count = this.warm): void {
    const list = this.waitingList(profile);
    while (!this.closed && list.length < count) {
      const spare = this.spawn(profile);
      list.push(spare);
      spare.ready.catch(() => {
        const at = list.indexOf(spare);
        if (at >= 0) list.splice(at, 1);
      });
    }
  }

  /** The waiting children of a profile, now the most recently used one. */
  private waitingList(profile: Profile): Child[] {
    const key = `${profile.memoryMb}/${profile.cpuSeconds}`;
    const list = this.idle.get(key) ?? [];
    this.idle.delete(key);
    this.idle.set(key, list);
    // Children of profiles no longer in use only take memory.
    while (this.idle.size > MAX_PROFILES) {
      const [oldest, stale] = this.idle.entries().next().value as [string, Child[]];
      for (const c of stale) c.dispose();
      this.idle.delete(oldest);
    }
    return list;
  }

  private spawn(profile: Profile): Child {
    const { protection, bwrap } = this.detected as Detected;
    const command = childCommand(profile, {
      nodePath: this.nodePath,
      protection: protection.kind,
      bwrap,
      kernelLimits: this.cpuLimit,
      label: this.label,
    });
    return new Child(command, {
      maxOutputBytes: this.maxOutputBytes,
      logBytes: this.logBytes,
      memoryMb: profile.memoryMb,
      signalExitCodes: protection.kind === "bwrap",
    });
  }
}

function closedError(): Error {
  return new Error("ProcessSandbox closed while the job was running");
}
