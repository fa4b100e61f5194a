/**
 * Where workload data lives, and the check every data file passes before a
 * task parses it. Data sets are `<repo>/data/<data set>/`, or
 * `$ADRS_DATA_DIR/<data set>/` when that is set. A data set's `SHA256SUMS`
 * (the `sha256sum` format) lists its files: a listed file whose bytes differ
 * is corrupt or truncated, and loading it is an error naming the file rather
 * than a quietly different score. A data set under `$ADRS_DATA_DIR` without a
 * manifest (someone's own traces) is read as it is.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";

export const DATA_DIR_VARIABLE = "ADRS_DATA_DIR";
/** The manifest of a data set, in its folder. */
export const MANIFEST = "SHA256SUMS";
/** `<repo>/data`: this file is `<repo>/tasks/_shared/data.ts`. */
export const REPOSITORY_DATA_DIR = resolve(import.meta.dirname, "..", "..", "data");

/** A data file that is missing, unlisted, corrupt or truncated; the message names it and the fix. */
export class DataError extends Error {
  override name = "DataError";
}

export function dataRoot(): string {
  const fromEnv = process.env[DATA_DIR_VARIABLE];
  return fromEnv ? resolve(fromEnv) : REPOSITORY_DATA_DIR;
}

/** The folder of one data set (`txn-scheduling`, `cloudcast`, …). */
export function dataSetDir(dataSet: string): string {
  return join(dataRoot(), dataSet);
}

/** A file's path in its data set, not yet checked. `file` may name a subfolder: `configs/a.json`. */
export function dataPath(dataSet: string, file: string): string {
  return join(dataSetDir(dataSet), file);
}

/** Parses a manifest: file name → sha256 (hex). Errors name the manifest and the line. */
export function readManifest(manifest: string): Map<string, string> {
  const sums = new Map<string, string>();
  readFileSync(manifest, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      // `sha256sum` writes "<hash>  <name>" (text mode) or "<hash> *<name>" (binary mode).
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (!m) throw new DataError(`${manifest}:${i + 1}: expected "<sha256>  <file>", got "${line}"`);
      sums.set(m[2] as string, m[1] as string);
    });
  return sums;
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Files already found whole in this process, by path, with the size and time they had then. */
const verified = new Map<string, { size: number; mtimeMs: number }>();

/**
 * Checks one data file against its data set's manifest and returns its path
 * (for readers that stream it, such as the tarball reader). Each file is
 * hashed once per process, again only if its size or time changes.
 */
export function verifiedDataPath(dataSet: string, file: string): string {
  const path = dataPath(dataSet, file);
  const stat = statOrNull(path);
  if (!stat?.isFile()) throw new DataError(`data file not found: ${path} ${whereFrom(dataSet, file)}`);
  const seen = verified.get(path);
  if (seen && seen.size === stat.size && seen.mtimeMs === stat.mtimeMs) return path;
  checkAgainstManifest(dataSet, file, readFileSync(path));
  verified.set(path, { size: stat.size, mtimeMs: stat.mtimeMs });
  return path;
}

/** A data file's bytes, checked against its data set's manifest. */
export function readDataFile(dataSet: string, file: string): Buffer {
  const path = verifiedDataPath(dataSet, file);
  return readFileSync(path);
}

/** A data file's text (UTF-8), checked against its data set's manifest. */
export function readDataText(dataSet: string, file: string): string {
  return readDataFile(dataSet, file).toString("utf8");
}

function checkAgainstManifest(dataSet: string, file: string, bytes: Buffer): void {
  const path = dataPath(dataSet, file);
  const manifest = join(dataSetDir(dataSet), MANIFEST);
  if (!existsSync(manifest)) {
    if (dataRoot() !== REPOSITORY_DATA_DIR) return;
    throw new DataError(
      `${manifest} is missing, so ${path} cannot be checked: restore it with \`git checkout -- ${repoRelative(manifest)}\``,
    );
  }
  const want = readManifest(manifest).get(file.split(sep).join("/"));
  if (want === undefined) throw new DataError(`${path} is not listed in ${manifest}`);
  const got = sha256(bytes);
  if (got !== want) {
    throw new DataError(
      `${path} is corrupt or truncated: its sha256 is ${got} (${bytes.length} bytes), ${MANIFEST} expects ${want}; ${restoreHint(dataSet, file)}`,
    );
  }
}

function restoreHint(dataSet: string, file: string): string {
  if (dataRoot() === REPOSITORY_DATA_DIR) {
    return `restore it with \`git checkout -- ${repoRelative(dataPath(dataSet, file))}\``;
  }
  return `replace it, or unset ${DATA_DIR_VARIABLE} to use the repository's data/`;
}

function whereFrom(dataSet: string, file: string): string {
  if (dataRoot() === REPOSITORY_DATA_DIR) {
    return `(the repository's copy is missing: restore it with \`git checkout -- ${repoRelative(dataPath(dataSet, file))}\`, or set ${DATA_DIR_VARIABLE} to a folder that holds ${dataSet}/${file})`;
  }
  return `(${DATA_DIR_VARIABLE} is ${dataRoot()}: it must hold ${dataSet}/${file}, or unset it to use the repository's data/)`;
}

function repoRelative(path: string): string {
  return join("data", path.slice(REPOSITORY_DATA_DIR.length + 1));
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** How one data set stands, for `adrs doctor`. */
export interface DataSetCheck {
  dataSet: string;
  dir: string;
  /** ok: every listed file matches; unverified: no manifest (allowed outside the repository's data/). */
  status: "ok" | "unverified" | "missing" | "corrupt";
  detail: string;
}

/** Every data set the repository carries, looked for in the data root in force and checked whole. */
export function checkDataSets(): DataSetCheck[] {
  const names = readdirSync(REPOSITORY_DATA_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return names.map((dataSet): DataSetCheck => {
    const dir = dataSetDir(dataSet);
    const at = { dataSet, dir };
    if (!existsSync(dir)) return { ...at, status: "missing", detail: `${dir} does not exist` };
    const manifest = join(dir, MANIFEST);
    if (!existsSync(manifest)) {
      if (dataRoot() !== REPOSITORY_DATA_DIR) {
        return { ...at, status: "unverified", detail: `no ${MANIFEST}: its files are read as they are` };
      }
      const fix = `restore it with \`git checkout -- ${repoRelative(manifest)}\``;
      return { ...at, status: "corrupt", detail: `${manifest} is missing: ${fix}` };
    }
    try {
      const files = [...readManifest(manifest).keys()];
      let bytes = 0;
      for (const file of files) bytes += statSync(verifiedDataPath(dataSet, file)).size;
      return {
        ...at,
        status: "ok",
        detail: `${files.length} file${files.length === 1 ? "" : "s"}, ${bytes.toLocaleString("en")} bytes, as ${MANIFEST} lists`,
      };
    } catch (err) {
      return { ...at, status: "corrupt", detail: (err as Error).message };
    }
  });
}
