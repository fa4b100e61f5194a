import { nodeReadOnly } from "./child-command.ts";
import { bwrapArgv, findExecutable, type ProtectionChoice, probe, SUMMARY } from "./protection.ts";
import type { Protection } from "./sandbox.ts";

/** The protection in force, and bubblewrap's path when it is bwrap. */
export interface Detected {
  protection: Protection;
  bwrap?: string;
}

/** Protection in force, probed once per process, choice and node binary. */
const detected = new Map<string, Promise<Detected>>();
const announced = new Set<string>();

/**
 * Which protection works here for this choice: `auto` probes bubblewrap by
 * running `node -e 0` under the real confinement and falls back to Node's
 * permission model; `bwrap` rejects when it does not work. The first answer of
 * each kind is said once in `log`.
 */
export async function detectProtection(
  choice: ProtectionChoice,
  nodePath: string,
  log: (line: string) => void,
): Promise<Detected> {
  const key = `${choice}|${nodePath}`;
  let pending = detected.get(key);
  if (!pending) {
    pending = detect(choice, nodePath);
    detected.set(key, pending);
    pending.catch(() => detected.delete(key));
  }
  const found = await pending;
  const { kind, summary } = found.protection;
  if (!announced.has(kind)) {
    announced.add(kind);
    log(`sandbox: ${summary}`);
  }
  return found;
}

async function detect(choice: ProtectionChoice, nodePath: string): Promise<Detected> {
  const fallback = (why: string): Detected => ({
    protection: { kind: "permission", summary: `${SUMMARY.permission} (${why})` },
  });
  if (choice === "none") return { protection: { kind: "none", summary: SUMMARY.none } };
  if (choice === "permission") return { protection: { kind: "permission", summary: SUMMARY.permission } };
  const bwrap = findExecutable("bwrap") ?? findExecutable("bwrap", "/usr/bin:/bin:/usr/local/bin");
  if (!bwrap) {
    if (choice === "bwrap") throw new Error("protection bwrap: bubblewrap (bwrap) is not installed");
    return fallback("bwrap not found");
  }
  const test = bwrapArgv(bwrap, {
    argv: [nodePath, "--no-node-snapshot", "-e", "0"],
    readOnly: nodeReadOnly(nodePath),
    cwd: "/tmp",
    env: {},
    tmpMb: 1,
  });
  const result = await probe(test);
  if (result.ok) return { protection: { kind: "bwrap", summary: SUMMARY.bwrap }, bwrap };
  const why = result.stderr.split("\n")[0] || "it failed to start";
  if (choice === "bwrap") throw new Error(`protection bwrap: bubblewrap does not work here: ${why}`);
  return fallback(`bwrap: ${why}`);
}
