import assert from "node:assert/strict";
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { loadTask } from "../../../src/task/load.ts";
import {
  checkDataSets,
  DATA_DIR_VARIABLE,
  DataError,
  MANIFEST,
  REPOSITORY_DATA_DIR,
  readDataText,
  readManifest,
  sha256,
} from "../data.ts";

const dataSets = readdirSync(REPOSITORY_DATA_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .filter((f) => f !== MANIFEST && f !== "README.md")
    .sort();
}

const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A data root in a fresh temporary folder holding copies of the given data sets. */
function copyOf(...names: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "adrs-data-"));
  scratch.push(root);
  for (const name of names) cpSync(join(REPOSITORY_DATA_DIR, name), join(root, name), { recursive: true });
  return root;
}

/** Runs `fn` with ADRS_DATA_DIR set to `root`, restoring the variable after. */
async function withDataRoot<T>(root: string, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = root;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
  }
}

test("the repository carries every task's data: each file listed in its manifest, matching it, and in its README", () => {
  assert.deepEqual(dataSets, [
    "cant-be-late",
    "cant-be-late-multi",
    "cloudcast",
    "llm-sql",
    "prism",
    "telemetry-repair",
    "txn-scheduling",
  ]);
  for (const name of dataSets) {
    const dir = join(REPOSITORY_DATA_DIR, name);
    const sums = readManifest(join(dir, MANIFEST));
    assert.deepEqual([...sums.keys()].sort(), filesUnder(dir), `${name}: ${MANIFEST} lists every file`);
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    for (const [file, want] of sums) {
      assert.equal(sha256(readFileSync(join(dir, file))), want, `${name}/${file} matches ${MANIFEST}`);
      assert.match(
        readme,
        new RegExp(`\\| \`${file}\` \\| [\\d,]+ \\| \`${want}\` \\|`),
        `${name}/README.md`,
      );
    }
    for (const section of ["**Source**", "**Licence**", "**What changed**"]) {
      assert.ok(readme.includes(section), `${name}/README.md says its ${section}`);
    }
  }
});

test("every task with stored data refuses a corrupt copy, naming the file", async () => {
  for (const name of dataSets) {
    const root = copyOf(name);
    const [file] = [...readManifest(join(root, name, MANIFEST)).keys()];
    assert.ok(file);
    const path = join(root, name, file);
    const bytes = readFileSync(path);
    // One byte changed, the size kept: only the checksum can tell.
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(path, bytes);
    const task = await loadTask(name);
    await withDataRoot(root, () =>
      assert.rejects(
        async () => task.workloads("train"),
        (e: Error) => e.message.includes(path) && e.message.includes("corrupt or truncated"),
        `${name}: ${file}`,
      ),
    );
  }
});

test("a truncated file is an error naming the file, its size and the expected checksum", async () => {
  const root = copyOf("prism");
  const path = join(root, "prism", "cases.json");
  writeFileSync(path, readFileSync(path).subarray(0, 1000));
  const want = readManifest(join(root, "prism", MANIFEST)).get("cases.json");
  await withDataRoot(root, () =>
    assert.throws(
      () => readDataText("prism", "cases.json"),
      (e: Error) =>
        e instanceof DataError &&
        e.message.includes(path) &&
        e.message.includes("1000 bytes") &&
        e.message.includes(`expects ${want}`) &&
        e.message.includes(DATA_DIR_VARIABLE),
    ),
  );
});

test("a file is checked once, and again when it changes", async () => {
  const root = copyOf("txn-scheduling");
  const path = join(root, "txn-scheduling", "workloads.json");
  await withDataRoot(root, () => {
    const text = readDataText("txn-scheduling", "workloads.json");
    assert.equal(text, readFileSync(path, "utf8"));
    appendFileSync(path, "\n");
    assert.throws(() => readDataText("txn-scheduling", "workloads.json"), /corrupt or truncated/);
  });
});

test("a missing or unlisted file, and a malformed manifest, are errors naming the file", async () => {
  const root = copyOf("txn-scheduling");
  const dir = join(root, "txn-scheduling");
  await withDataRoot(root, () => {
    assert.throws(
      () => readDataText("txn-scheduling", "other.json"),
      (e: Error) => e.message.includes(join(dir, "other.json")) && e.message.includes("not found"),
    );
    writeFileSync(join(dir, "other.json"), "{}");
    assert.throws(
      () => readDataText("txn-scheduling", "other.json"),
      (e: Error) => e.message.includes(`${join(dir, "other.json")} is not listed in ${join(dir, MANIFEST)}`),
    );
    writeFileSync(join(dir, MANIFEST), "not a checksum line\n");
    assert.throws(
      () => readDataText("txn-scheduling", "workloads.json"),
      (e: Error) => e.message.includes(`${join(dir, MANIFEST)}:1:`),
    );
  });
});

test("a data set of one's own under ADRS_DATA_DIR needs no manifest", async () => {
  const root = mkdtempSync(join(tmpdir(), "adrs-data-"));
  scratch.push(root);
  cpSync(
    join(REPOSITORY_DATA_DIR, "txn-scheduling", "workloads.json"),
    join(root, "txn-scheduling", "w.json"),
  );
  await withDataRoot(root, () => {
    assert.equal(readDataText("txn-scheduling", "w.json").length > 0, true);
  });
});

test("checkDataSets tells whole, corrupt, missing and unverified data sets apart", async () => {
  const here = checkDataSets();
  assert.deepEqual(
    here.map((d) => d.dataSet),
    dataSets,
  );
  assert.ok(
    here.every((d) => d.status === "ok"),
    JSON.stringify(here.filter((d) => d.status !== "ok")),
  );

  const root = copyOf("prism", "txn-scheduling", "llm-sql");
  writeFileSync(join(root, "prism", "cases.json"), "{}");
  rmSync(join(root, "llm-sql", MANIFEST));
  const status = await withDataRoot(root, () =>
    Object.fromEntries(checkDataSets().map((d) => [d.dataSet, [d.status, d.detail]])),
  );
  assert.deepEqual(status["txn-scheduling"]?.[0], "ok");
  assert.deepEqual(status.prism?.[0], "corrupt");
  assert.match(status.prism?.[1] ?? "", /cases\.json is corrupt or truncated/);
  assert.deepEqual(status["llm-sql"]?.[0], "unverified");
  assert.deepEqual(status.cloudcast?.[0], "missing");
});
