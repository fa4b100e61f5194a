import assert from "node:assert/strict";
import type { ProcessSandbox } from "../../src/sandbox/index.ts";

/**
 * The confinement tests check what bubblewrap keeps out. Where it is not in
 * force they fail rather than skip: a machine that runs the suite (CI
 * included; .ci/run installs it) must show that the protection works.
 */
export async function assertBwrap(sandbox: ProcessSandbox): Promise<void> {
  const protection = await sandbox.ready();
  assert.equal(
    protection.kind,
    "bwrap",
    `bubblewrap must be in force for this test (Debian: apt-get install bubblewrap); here: ${protection.summary}`,
  );
}
