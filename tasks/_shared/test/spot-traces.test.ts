import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadTraces as multiRegionTraces } from "../../cant-be-late-multi/workloads.ts";
import { loadTraces as singleRegionTraces } from "../../cant-be-late/workloads.ts";
import { DATA_DIR_VARIABLE } from "../data.ts";

test("a missing trace archive names the path and the variable that moves it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spot-data-"));
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = dir;
  try {
    for (const [dataSet, load] of [
      ["cant-be-late", singleRegionTraces],
      ["cant-be-late-multi", multiRegionTraces],
    ] as const) {
      await assert.rejects(load(), (e: Error) => {
        assert.ok(e.message.includes(join(dir, dataSet, "real_traces.tar.gz")), e.message);
        assert.ok(e.message.includes("ADRS_DATA_DIR"), e.message);
        return true;
      });
    }
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
