// @ts-check
/**
 * The sandbox child (plain JS: it must start without a TypeScript loader).
 *
 * Protocol: the parent writes one JSON job `{ script, inputs, filename, maxOutputBytes }`
 * to stdin and closes it. The child answers on fd 3 with newline-delimited JSON
 * messages, so the candidate's console output (stdout/stderr) cannot corrupt them:
 *   {"t":"out","i":0,"ok":true,"ms":1.2,"value":<output>}
 *   {"t":"out","i":1,"ok":false,"ms":0.3,"error":"..."}
 *   {"t":"done"} | {"t":"load","error":"..."} | {"t":"fatal","i":2,"error":"..."}
 * The parent kills the child once it has what it needs; the child never exits on success.
 */
import net from "node:net";
import vm from "node:vm";

// Captured before any candidate code runs: the candidate shares this realm and may
// replace globals for its own reasons, and the protocol must keep working.
const stringify = JSON.stringify;
const parse = JSON.parse;
const now = performance.now.bind(performance);
const exit = process.exit.bind(process);
const isView = ArrayBuffer.isView;
const arrayFrom = Array.from;
const finite = Number.isFinite;
const byteLength = Buffer.byteLength;
const MapC = Map;
const SetC = Set;
const ErrorC = Error;
const parentPid = process.ppid;
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);

/**
 * Resolves once the candidate's console output has left the process: writes to a
 * pipe may be queued, and the parent kills the child as soon as it reads the last message.
 */
function flushConsole() {
  return Promise.all([
    new Promise((resolve) => stdoutWrite("", () => resolve(undefined))),
    new Promise((resolve) => stderrWrite("", () => resolve(undefined))),
  ]);
}

const channel = new net.Socket({ fd: 3, readable: false, writable: true });
// The parent is gone or stopped listening: nobody wants the answer.
channel.on("error", () => exit(0));
/** @param {string} line */
const send = (line) => channel.write(`${line}\n`);

/** Index of the input being run, for errors that escape the call (timers, rejections). */
let current = -1;
let fatal = false;

// A never-settling promise must not end the process early (that would look like an exit,
// not a timeout); the same timer notices a dead parent whenever the event loop is free.
setInterval(() => {
  if (process.ppid !== parentPid) exit(0);
}, 1000);

/** @param {unknown} err */
function onFatal(err) {
  if (fatal) return;
  fatal = true;
  const line = `${stringify({ t: "fatal", i: current, error: describeError(err) })}\n`;
  // The parent has the answer only when the message is written; exit even if a flush hangs.
  setTimeout(() => exit(70), 1000).unref();
  flushConsole().then(() => channel.write(line, () => exit(70)));
}
process.on("uncaughtException", onFatal);
process.on("unhandledRejection", onFatal);

const MAX_ERROR = 2000;

/** @param {unknown} value */
function preview(value) {
  try {
    if (typeof value === "string") return stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
    if (typeof value !== "object" || value === null) return String(value);
    const text = stringify(value);
    if (typeof text === "string") return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    // fall through: cycles, BigInt, throwing getters
  }
  return Object.prototype.toString.call(value);
}

/**
 * `Name: message` plus the frames inside the bundled script (the parent maps them
 * back to the candidate's source), or a description of a thrown non-Error.
 * @param {unknown} err
 * @param {string} [filename]
 */
function describeError(err, filename = job?.filename ?? "") {
  let text;
  try {
    if (err instanceof ErrorC) {
      text = `${String(err.name)}: ${String(err.message)}`;
      const stack = String(err.stack ?? "");
      const frames = stack
        .split("\n")
        .filter((l) => filename !== "" && l.trimStart().startsWith("at ") && l.includes(filename));
      for (const frame of frames.slice(0, 3)) text += `\n    ${frame.trim()}`;
    } else {
      text = `threw a non-Error value: ${preview(err)}`;
    }
  } catch {
    text = "threw a value that cannot be described";
  }
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR)}…` : text;
}

/**
 * @param {string} key
 * @param {unknown} value
 */
function replacer(key, value) {
  const at = key === "" ? "" : ` at key ${stringify(key)}`;
  switch (typeof value) {
    case "function":
      throw new TypeError(`a function${at} cannot be an output`);
    case "symbol":
      throw new TypeError(`a symbol${at} cannot be an output`);
    case "bigint":
      throw new TypeError(`a BigInt${at} cannot be an output (use a number or a string)`);
    case "number":
      if (!finite(value)) throw new TypeError(`${value}${at} is not representable in JSON`);
      return value;
    case "object":
      if (value instanceof MapC || value instanceof SetC) {
        throw new TypeError(
          `a ${value instanceof MapC ? "Map" : "Set"}${at} cannot be an output (use an array or object)`,
        );
      }
      // Typed arrays would otherwise become {"0":…} objects.
      if (isView(value) && !(value instanceof DataView)) return arrayFrom(/** @type {any} */ (value));
      return value;
    default:
      return value;
  }
}

/**
 * @param {unknown} value
 * @returns {{ json: string } | { error: string }}
 */
function encode(value) {
  try {
    const json = stringify(value, replacer);
    if (json === undefined) return { error: "no output: the driver returned undefined" };
    return { json };
  } catch (err) {
    const message = err instanceof ErrorC ? err.message : String(err);
    return { error: `the output cannot be sent as JSON: ${message}` };
  }
}

/** @type {{ script: string, inputs: unknown[], filename: string, maxOutputBytes: number } | undefined} */
let job;

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  job = parse(Buffer.concat(chunks).toString("utf8"));
  if (!job) return;
  try {
    vm.runInThisContext(job.script, { filename: job.filename });
  } catch (err) {
    const error = describeError(err);
    await flushConsole();
    send(stringify({ t: "load", error }));
    return;
  }
  let run;
  try {
    run = /** @type {any} */ (globalThis).__adrs?.run;
  } catch {
    run = undefined;
  }
  if (typeof run !== "function") {
    send(stringify({ t: "load", error: "the script did not define __adrs.run" }));
    return;
  }
  let budget = job.maxOutputBytes;
  for (let i = 0; i < job.inputs.length; i++) {
    current = i;
    const start = now();
    let value;
    let error;
    try {
      value = await run(job.inputs[i]);
    } catch (err) {
      error = describeError(err);
    }
    const ms = now() - start;
    if (error === undefined) {
      const encoded = encode(value);
      if ("json" in encoded) {
        const bytes = byteLength(encoded.json);
        if (bytes <= budget) {
          budget -= bytes;
          send(`{"t":"out","i":${i},"ok":true,"ms":${ms},"value":${encoded.json}}`);
          continue;
        }
        /** @param {number} n */
        const mb = (n) => (n / 1048576).toFixed(1);
        error = `output too large: ${mb(bytes)} MB of JSON, ${mb(budget)} MB left of the ${mb(job.maxOutputBytes)} MB limit for all outputs`;
      } else {
        error = encoded.error;
      }
    }
    send(stringify({ t: "out", i, ok: false, ms, error }));
  }
  current = -1;
  await flushConsole();
  send(stringify({ t: "done" }));
}

main().catch(onFatal);
