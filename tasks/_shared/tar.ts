/**
 * A small reader for `.tar.gz` archives (ustar, GNU and pax long names), enough
 * for the trace tarballs of the public ADRS release. It streams: the archive is
 * inflated in chunks and only the entries a caller selects are kept.
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";

const BLOCK = 512;

/** Reads the regular files of a `.tar.gz` whose path `select` accepts, as path → bytes. */
export async function readTarGz(
  file: string,
  select: (path: string) => boolean,
): Promise<Map<string, Buffer>> {
  const reader = new TarReader(select, file);
  const source = createReadStream(file);
  const input = createGunzip();
  // pipe() does not forward a read error (a missing file) to the inflater.
  source.on("error", (err) => input.destroy(err));
  source.pipe(input);
  try {
    for await (const chunk of input) reader.push(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file}: file not found`);
    throw new Error(`${file}: cannot read the archive: ${(err as Error).message}`);
  }
  reader.end();
  return reader.files;
}

/** The tar stream parser, fed with inflated chunks of any size. */
export class TarReader {
  readonly files = new Map<string, Buffer>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The entry whose data is being read, or undefined between entries. */
  private entry: { path: string; size: number; type: string; keep: boolean } | undefined;
  /** A name from a GNU `L` or pax `x` record, for the next header. */
  private longName: string | undefined;
  private ended = false;

  constructor(
    private readonly select: (path: string) => boolean,
    private readonly label = "archive",
  ) {}

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.entry === undefined) {
        if (this.pendingBytes < BLOCK) return;
        const header = this.take(BLOCK);
        if (header.every((b) => b === 0)) {
          // Two zero blocks end the archive; anything after them is padding.
          this.ended = true;
          return;
        }
        this.entry = this.parseHeader(header);
        continue;
      }
      const padded = Math.ceil(this.entry.size / BLOCK) * BLOCK;
      if (this.pendingBytes < padded) return;
      const data = this.take(padded).subarray(0, this.entry.size);
      this.finishEntry(this.entry, data);
      this.entry = undefined;
    }
  }

  /** Checks that the archive did not stop inside an entry. */
  end(): void {
    if (this.entry !== undefined) {
      throw new Error(`${this.label}: the archive ends inside ${this.entry.path}: truncated`);
    }
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  private parseHeader(h: Buffer): { path: string; size: number; type: string; keep: boolean } {
    const field = (offset: number, length: number) => {
      const raw = h.subarray(offset, offset + length);
      const nul = raw.indexOf(0);
      return raw.subarray(0, nul < 0 ? length : nul).toString("utf8");
    };
    const checksum = Number.parseInt(field(148, 8).trim() || "0", 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (sum !== checksum) {
      throw new Error(`${this.label}: corrupt tar header (checksum mismatch): not a tar archive?`);
    }
    const size = parseSize(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 48);
    const magic = field(257, 6);
    const prefix = magic.startsWith("ustar") ? field(345, 155) : "";
    let path = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    if (this.longName !== undefined) {
      path = this.longName;
      this.longName = undefined;
    }
    const regular = type === "0" || type === "7";
    return { path, size, type, keep: regular && this.select(path) };
  }

  private finishEntry(entry: { path: string; type: string; keep: boolean }, data: Buffer): void {
    if (entry.type === "L") {
      this.longName = data.toString("utf8").replace(/\0+$/, "");
    } else if (entry.type === "x") {
      const path = paxPath(data);
      if (path !== undefined) this.longName = path;
    } else if (entry.keep) {
      // A copy: `data` is a view into a chunk that may be large.
      this.files.set(entry.path, Buffer.from(data));
    }
  }
}

/** Octal, or base-256 (GNU) when the high bit of the first byte is set. */
function parseSize(raw: Buffer): number {
  if (((raw[0] as number) & 0x80) !== 0) {
    let n = (raw[0] as number) & 0x7f;
    for (let i = 1; i < raw.length; i++) n = n * 256 + (raw[i] as number);
    return n;
  }
  const text = raw.toString("ascii").replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

/** The `path` record of a pax extended header (`<len> path=<value>\n` records). */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(32, at);
    if (space < 0) return undefined;
    const length = Number.parseInt(data.subarray(at, space).toString("ascii"), 10);
    if (!Number.isFinite(length) || length <= 0) return undefined;
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    if (record.startsWith("path=")) return record.slice(5);
    at += length;
  }
  return undefined;
}
