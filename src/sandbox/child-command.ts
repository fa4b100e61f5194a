import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { bwrapArgv, installPrefix, type KernelLimits, limitArgv } from "./protection.ts";
import type { Protection, SandboxJob } from "./sandbox.ts";

const RUNNER = realpathSync(join(import.meta.dirname, "runner.mjs"));
/** The candidate's realm and how it encodes outputs, which the runner imports from beside itself: the child must read them too. */
const REALM = realpathSync(join(import.meta.dirname, "realm.mjs"));
const REALM_OUTPUT = realpathSync(join(import.meta.dirname, "realm-output.mjs"));
/** isolated-vm's entry, located here but loaded only in the child. */
const IVM_ENTRY = createRequire(import.meta.url).resolve("isolated-vm");
const IVM_DIR = dirname(IVM_ENTRY);
const MB = 1024 * 1024;
const GB = 1024 * MB;

/** What a waiting child is started for: jobs with the same profile can use it. */
export interface Profile {
  memoryMb: number;
  cpuSeconds: number;
}

export function profileOf(job: SandboxJob): Profile {
  const memoryMb = Math.max(8, Math.floor(job.memoryMb));
  const cpuMs = job.cpuMs ?? job.timeoutMs;
  // The kernel's limit is a backstop behind the runner's own CPU watch and the wall clock;
  // rounded up to a power of two so that nearby limits share waiting children.
  return { memoryMb, cpuSeconds: 2 ** Math.ceil(Math.log2((2 * cpuMs) / 1000 + 10)) };
}

/** What the node child needs to see: node itself, the runner (with its realm) and isolated-vm. */
export function nodeReadOnly(nodePath: string): string[] {
  return [installPrefix(nodePath), RUNNER, REALM, REALM_OUTPUT, IVM_DIR];
}

export interface ChildCommandOptions {
  nodePath: string;
  protection: Protection["kind"];
  /** bubblewrap's path, when the protection is bwrap. */
  bwrap?: string | undefined;
  /** Set kernel limits (CPU time, address space) on the child. */
  kernelLimits: boolean;
  label?: string | undefined;
}

/** The command line of a sandbox child: node running the runner, confined and limited. */
export function childCommand(profile: Profile, o: ChildCommandOptions): string[] {
  const argv = childArgv(o.nodePath, profile, o.protection, o.label);
  const kernel: KernelLimits = {
    cpuSeconds: profile.cpuSeconds,
    // Node reserves ~1 GB of address space to start; this only stops runaway native allocations.
    addressBytes: 4 * GB + 3 * profile.memoryMb * MB,
  };
  const confined =
    o.protection === "bwrap" && o.bwrap
      ? bwrapArgv(o.bwrap, {
          argv,
          readOnly: nodeReadOnly(o.nodePath),
          cwd: "/tmp",
          env: {},
          tmpMb: 16,
        })
      : argv;
  return o.kernelLimits ? [...limitArgv(kernel), ...confined] : confined;
}

function childArgv(nodePath: string, profile: Profile, kind: Protection["kind"], label?: string): string[] {
  const args = [
    nodePath,
    // isolated-vm on Node 20: V8's shared-heap snapshot crashes isolates made with other snapshots.
    "--no-node-snapshot",
    // The child's own heap holds the job and the outputs, never the candidate's objects.
    `--max-old-space-size=${2 * profile.memoryMb + 128}`,
    // A full collection for jobs that measure the heap (runner.mjs): V8 offers it only as a
    // global that cannot be deleted, so under a name no candidate can guess.
    `--expose-gc-as=__gc_${randomBytes(8).toString("hex")}`,
  ];
  if (kind === "permission") {
    args.push(
      "--experimental-permission",
      `--allow-fs-read=${RUNNER}`,
      `--allow-fs-read=${REALM}`,
      `--allow-fs-read=${REALM_OUTPUT}`,
      `--allow-fs-read=${IVM_DIR}/*`,
      "--allow-addons",
      "--disable-warning=ExperimentalWarning",
      "--disable-warning=SecurityWarning",
    );
  }
  args.push(RUNNER, `--ivm=${IVM_ENTRY}`, `--memory-mb=${profile.memoryMb}`);
  if (label) args.push(`--label=${label}`);
  return args;
}
