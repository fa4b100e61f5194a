import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { readTarGz, TarReader } from "../tar.ts";

/** A 512-byte tar header (ustar) with a valid checksum. */
function header(name: string, size: number, type = "0", prefix = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write(type, 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  h.write(prefix, 345, 155, "utf8");
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

function entry(name: string, body: string | Buffer, type = "0", prefix = ""): Buffer {
  const data = typeof body === "string" ? Buffer.from(body) : body;
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header(name, data.length, type, prefix), data, pad]);
}

function pax(path: string): Buffer {
  const record = ` path=${path}\n`;
  let n = record.length + 2;
  while (`${n}${record}`.length !== n) n++;
  return Buffer.from(`${n}${record}`);
}

const END = Buffer.alloc(1024);
const long = `deep/${"x".repeat(120)}/file.json`;

const archive = Buffer.concat([
  entry("a/", "", "5"),
  entry("a/one.json", '{"n":1}'),
  entry("two.json", '{"n":2}', "0", "a/prefixed"),
  entry("././@LongLink", `${long}\0`, "L"),
  entry(long.slice(0, 99), '{"n":3}'),
  entry("PaxHeader", pax("a/pax/four.json"), "x"),
  entry("short-name", '{"n":4}'),
  entry("a/skipped.txt", "x".repeat(1500)),
  END,
]);

test("reads ustar, prefixed, GNU long-name and pax-named entries, keeping only the selected ones", () => {
  const reader = new TarReader((p) => p.endsWith(".json"));
  // Odd chunk sizes: headers and data straddle chunks.
  for (let at = 0; at < archive.length; at += 333) reader.push(archive.subarray(at, at + 333));
  reader.end();
  assert.deepEqual(
    [...reader.files.entries()].map(([k, v]) => [k, v.toString()]),
    [
      ["a/one.json", '{"n":1}'],
      ["a/prefixed/two.json", '{"n":2}'],
      [long, '{"n":3}'],
      ["a/pax/four.json", '{"n":4}'],
    ],
  );
});

test("a truncated or corrupt archive is an error naming the archive", () => {
  const truncated = new TarReader(() => true, "t.tar.gz");
  truncated.push(archive.subarray(0, 512 + 512 + 100));
  assert.throws(() => truncated.end(), /t\.tar\.gz: the archive ends inside a\/one\.json: truncated/);
  const corrupt = new TarReader(() => true, "c.tar.gz");
  const bad = Buffer.from(archive);
  bad[0] = 0x41;
  assert.throws(() => corrupt.push(bad), /c\.tar\.gz: corrupt tar header \(checksum mismatch\)/);
});

test("readTarGz inflates a file; a missing or non-gzip file names the path", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tar-test-"));
  try {
    const file = join(dir, "x.tar.gz");
    writeFileSync(file, gzipSync(archive));
    const files = await readTarGz(file, (p) => p === "a/one.json");
    assert.deepEqual([...files.keys()], ["a/one.json"]);
    await assert.rejects(
      readTarGz(join(dir, "none.tar.gz"), () => true),
      /none\.tar\.gz: file not found/,
    );
    writeFileSync(join(dir, "plain.tar.gz"), archive);
    await assert.rejects(
      readTarGz(join(dir, "plain.tar.gz"), () => true),
      /plain\.tar\.gz: cannot read the archive/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
