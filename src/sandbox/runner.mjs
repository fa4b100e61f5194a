// @ts-check
/**
 * The sandbox child (plain JS: it must start without a TypeScript loader). It
 * runs one job and is then killed; the candidate never runs in this realm but
 * in an isolated-vm isolate created here, which holds nothing of ours but the
 * functions of `realm()` below and a console that writes to our stdout.
 *
 * Arguments: --ivm=<path of isolated-vm's entry> --memory-mb=<isolate heap limit> [--label=…].
 *
 * Protocol. The child prepares its isolate, then sends {"t":"ready"} on fd 3
 * and reads the job from stdin until EOF: one JSON line
 * `{ script, filename, sizes, timeoutMs, cpuMs, maxOutputBytes }`, then the
 * inputs as JSON texts of `sizes[i]` bytes each, back to back. It answers on
 * fd 3 with newline-delimited JSON, the candidate's console output included
 * (as text inside messages, so it cannot forge one):
 *   {"t":"out","i":0,"ok":true,"ms":1.2,"cpu":1.1,"value":<output>}
 *   {"t":"out","i":1,"ok":false,"ms":0.3,"cpu":0.2,"error":"..."}
 *   {"t":"done"} | {"t":"load","error":"..."} | {"t":"fatal","i":2,"error":"..."}
 *   {"t":"timeout"} | {"t":"memory"} | {"t":"cpu"} | {"t":"log","text":"..."}
 * Durations are measured here, around each call into the isolate, where the
 * candidate cannot reach the clock. A job with `profile: true` (`adrs audit`)
 * also gets, per call, the process's CPU time ("pcpu") and the isolate's heap
 * ("peak": held before a collection, "kept": in use after a full one).
 */
import { createRequire } from "node:module";
import net from "node:net";

// The name the parent gave V8's collection function (child-command.ts); found, it only
// spends the candidate's CPU time.
const GC_NAME = (process.execArgv.find((a) => a.startsWith("--expose-gc-as=")) ?? "=").split("=")[1] ?? "";

const stringify = JSON.stringify;
const parse = JSON.parse;
const now = performance.now.bind(performance);
const parentPid = process.ppid;

/** @param {string} name */
function flag(name) {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  return arg === undefined ? undefined : arg.slice(prefix.length);
}

const channel = new net.Socket({ fd: 3, readable: false, writable: true });
// The parent is gone or stopped listening: nobody wants the answer.
channel.on("error", () => die());
/** @param {string} line */
const send = (line) => channel.write(`${line}\n`);

/** Ends this process at once, whatever the isolate's thread is doing. */
function die() {
  process.kill(process.pid, "SIGKILL");
}

// Every call into the isolate is asynchronous, so this thread stays free to notice a dead
// parent (the engine killed by SIGKILL or Ctrl-C: no one would ever kill us) and a spent CPU budget.
setInterval(() => {
  if (process.ppid !== parentPid) die();
}, 200);

/** @param {unknown} err */
function hostFatal(err) {
  const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  setTimeout(die, 1000).unref();
  channel.write(`${stringify({ t: "fatal", i: current, error })}\n`, die);
}
process.on("uncaughtException", hostFatal);
process.on("unhandledRejection", hostFatal);

/**
 * The trusted part of the candidate's realm, evaluated in the isolate before
 * the candidate's script. It captures what it uses first, so a candidate that
 * patches JSON, Promise or Error in its realm changes only its own outputs.
 * Source text only: it must not refer to anything outside itself.
 * @param {(text: string) => void} log
 * @param {number} logCap
 * @param {string} filename
 * @param {string} gcName
 */
function realm(log, logCap, filename, gcName) {
  // biome-ignore lint/suspicious/noRedundantUseStrict: this source runs as a script in the isolate, not as a module
  "use strict";
  /** @type {Record<string, any>} the isolate's global object, which this realm furnishes */
  const g = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const isView = ArrayBuffer.isView;
  const arrayFrom = Array.from;
  const finite = Number.isFinite;
  const MapC = Map;
  const SetC = Set;
  const ErrorC = Error;
  const DataViewC = DataView;
  const PromiseC = Promise;
  const then = Promise.prototype.then;
  const apply = Reflect.apply;
  const StringC = String;
  const toTag = Object.prototype.toString;
  const dateNow = Date.now;
  const MAX_ERROR = 2000;

  // Not counted against the memory limit, and no candidate needs it.
  delete g.WebAssembly;
  /** @type {() => void} */
  const collectGarbage = typeof g[gcName] === "function" ? g[gcName] : () => undefined;

  /** @param {unknown} value */
  function text(value) {
    try {
      if (typeof value === "string") return value;
      if (value instanceof ErrorC) return StringC(value.stack ?? `${value.name}: ${value.message}`);
      if (typeof value === "object" && value !== null) {
        const json = stringify(value);
        if (typeof json === "string") return json;
      }
      return StringC(value);
    } catch {
      return apply(toTag, value, []);
    }
  }

  // Each call of `log` crosses to the host (tens of µs): the first lines go at once, so a
  // program that prints and then hangs still shows its output; a flood goes in batches.
  let logged = 0;
  let lines = 0;
  let buffer = "";
  let flushed = dateNow();
  function flush() {
    if (buffer !== "") {
      const text = buffer;
      buffer = "";
      log(text);
    }
    flushed = dateNow();
  }
  /** @param {unknown[]} args */
  function write(...args) {
    if (logged > logCap) return;
    let line = "";
    for (let i = 0; i < args.length; i++) line += (i > 0 ? " " : "") + text(args[i]);
    logged += line.length + 1;
    if (logged > logCap) line = "(console output cut here: it passed the limit)";
    buffer += `${line}\n`;
    lines++;
    if (lines <= 256 || buffer.length >= 16384 || dateNow() - flushed >= 100) flush();
  }
  const console = { log: write, info: write, warn: write, error: write, debug: write, trace: write };
  g.console = console;
  const origin = dateNow();
  g.performance = { now: () => dateNow() - origin, timeOrigin: origin };
  // Two conveniences of web and Node realms that models reach for, in plain JavaScript.
  g.queueMicrotask = (/** @type {() => void} */ fn) => {
    apply(then, PromiseC.resolve(), [fn]);
  };
  g.structuredClone = (/** @type {unknown} */ value) => deepClone(value, new MapC());

  /**
   * @param {any} v
   * @param {Map<unknown, unknown>} seen
   * @returns {any}
   */
  function deepClone(v, seen) {
    if (typeof v === "function" || typeof v === "symbol")
      throw new TypeError(`a ${typeof v} could not be cloned`);
    if (typeof v !== "object" || v === null) return v;
    if (seen.has(v)) return seen.get(v);
    /** @type {any} */
    let out;
    if (Array.isArray(v)) {
      out = new Array(v.length);
      seen.set(v, out);
      for (let i = 0; i < v.length; i++) out[i] = deepClone(v[i], seen);
      return out;
    }
    if (v instanceof MapC) {
      out = new MapC();
      seen.set(v, out);
      for (const [k, x] of v) out.set(deepClone(k, seen), deepClone(x, seen));
      return out;
    }
    if (v instanceof SetC) {
      out = new SetC();
      seen.set(v, out);
      for (const x of v) out.add(deepClone(x, seen));
      return out;
    }
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof ArrayBuffer) out = v.slice(0);
    else if (v instanceof DataViewC)
      out = new DataViewC(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    else if (isView(v)) out = /** @type {any} */ (v).slice();
    else if (v instanceof ErrorC) out = new ErrorC(v.message);
    else {
      out = {};
      seen.set(v, out);
      for (const k of Object.keys(v)) out[k] = deepClone(v[k], seen);
      return out;
    }
    seen.set(v, out);
    return out;
  }

  /** @param {unknown} value */
  function preview(value) {
    try {
      if (typeof value === "string") return stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
      if (typeof value !== "object" || value === null) return StringC(value);
      const json = stringify(value);
      if (typeof json === "string") return json.length > 200 ? `${json.slice(0, 200)}…` : json;
    } catch {
      // cycles, BigInt, throwing getters
    }
    return apply(toTag, value, []);
  }

  /**
   * `Name: message` plus the frames inside the bundled script (the engine maps them
   * back to the candidate's source), or a description of a thrown non-Error.
   * @param {unknown} err
   */
  function describe(err) {
    let out;
    try {
      if (err instanceof ErrorC) {
        out = `${StringC(err.name)}: ${StringC(err.message)}`;
        const lines = StringC(err.stack ?? "").split("\n");
        let kept = 0;
        for (const l of lines) {
          if (kept < 3 && l.trimStart().startsWith("at ") && l.includes(filename)) {
            out += `\n    ${l.trim()}`;
            kept++;
          }
        }
      } else {
        out = `threw a non-Error value: ${preview(err)}`;
      }
    } catch {
      out = "threw a value that cannot be described";
    }
    return out.length > MAX_ERROR ? `${out.slice(0, MAX_ERROR)}…` : out;
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
        if (isView(value) && !(value instanceof DataViewC)) return arrayFrom(/** @type {any} */ (value));
        return value;
      default:
        return value;
    }
  }

  /** @type {((input: unknown) => unknown) | undefined} */
  let run;
  /** @type {[boolean, unknown] | undefined} */
  let outcome;

  /** Finds the driver's entry once the script has run: "" when found, else why not. */
  function bind() {
    flush();
    try {
      const entry = g.__adrs;
      const fn = entry === undefined || entry === null ? undefined : entry.run;
      if (typeof fn !== "function") return "the script did not define __adrs.run";
      run = fn;
      return "";
    } catch (err) {
      return describe(err);
    }
  }

  /**
   * Calls the driver on one input. Returns a promise when the driver did, so the
   * host's timing covers the whole call, settling included.
   * @param {string} inputJson
   */
  function invoke(inputJson) {
    outcome = undefined;
    let value;
    try {
      value = /** @type {(input: unknown) => unknown} */ (run)(parse(inputJson));
    } catch (err) {
      outcome = [false, describe(err)];
      return undefined;
    }
    let thenFn;
    try {
      thenFn =
        typeof value === "object" || typeof value === "function"
          ? /** @type {any} */ (value)?.then
          : undefined;
    } catch (err) {
      outcome = [false, describe(err)];
      return undefined;
    }
    if (typeof thenFn !== "function") {
      outcome = [true, value];
      return undefined;
    }
    return new PromiseC((resolve) => {
      const settled = new PromiseC((r) => r(value));
      apply(then, settled, [
        /** @param {unknown} v */ (v) => {
          outcome = [true, v];
          resolve(undefined);
        },
        /** @param {unknown} e */ (e) => {
          outcome = [false, describe(e)];
          resolve(undefined);
        },
      ]);
    });
  }

  /**
   * The last call's output as text: "1" + JSON, "0" + error, or "2" + the JSON's
   * length when it is longer than `budget` characters.
   * @param {number} budget
   */
  function take(budget) {
    flush();
    const o = outcome;
    outcome = undefined;
    if (o === undefined) return "0no output";
    if (!o[0]) return `0${o[1]}`;
    let json;
    try {
      json = stringify(o[1], replacer);
    } catch (err) {
      let message;
      try {
        message = err instanceof ErrorC ? StringC(err.message) : preview(err);
      } catch {
        message = "an error that cannot be described";
      }
      return `0the output cannot be sent as JSON: ${message}`;
    }
    if (json === undefined) return "0no output: the driver returned undefined";
    if (json.length > budget) return `2${json.length}`;
    return `1${json}`;
  }

  /** A full collection, so the heap then in use is what the program keeps. */
  function collect() {
    collectGarbage();
  }

  return [bind, invoke, take, collect];
}

/** Index of the input being run, for errors that escape the call. */
let current = -1;

/** @param {unknown} err */
function ivmMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a failed call into the isolate means: a limit (the job is over) or an error.
 * @param {unknown} err
 * @param {{ isDisposed: boolean }} isolate
 */
function limitHit(err, isolate) {
  const message = ivmMessage(err);
  if (/timed out/i.test(message)) return "timeout";
  if (/memory limit/i.test(message) || isolate.isDisposed) return "memory";
  return undefined;
}

/**
 * `Name: message` and the frames in the script, for errors that ivm copied out of the isolate.
 * @param {unknown} err
 * @param {string} filename
 */
function describeCopied(err, filename) {
  if (!(err instanceof Error)) return `threw a non-Error value: ${String(err)}`;
  if (/not an instance of `Error`/.test(err.message)) return "threw a non-Error value";
  let text = `${err.name}: ${err.message}`;
  const frames = String(err.stack ?? "")
    .split("\n")
    .filter((l) => l.trimStart().startsWith("at ") && l.includes(filename));
  for (const frame of frames.slice(0, 3)) text += `\n    ${frame.trim()}`;
  return text;
}

async function readStdin() {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function main() {
  const ivmPath = flag("ivm");
  const memoryMb = Number(flag("memory-mb") ?? "128");
  if (!ivmPath) throw new Error("runner.mjs needs --ivm=<path>");
  const ivm = createRequire(import.meta.url)(ivmPath);

  const isolate = new ivm.Isolate({ memoryLimit: Math.max(8, memoryMb) });
  const context = await isolate.createContext();
  const logCap = 1 << 20;
  // The console travels on the protocol channel: in order with the outputs, so "done" means
  // the log is complete too.
  const log = new ivm.Callback(
    (/** @type {unknown} */ text) => send(stringify({ t: "log", text: String(text) })),
    {
      ignored: true,
    },
  );
  const filename = "candidate.js";
  const realmFn = await context.eval(`(${realm.toString()})`, { reference: true });
  const fns = await realmFn.apply(undefined, [log, logCap, filename, GC_NAME], {
    result: { reference: true },
  });
  const [bind, invoke, take, collect] = await Promise.all(
    [0, 1, 2, 3].map((i) => fns.get(i, { reference: true })),
  );
  // The isolate's first compilation and calls pay for lazy set-up (~10 ms): pay it before the
  // clock starts. Neither leaves a trace in the realm.
  await (await isolate.compileScript("void 0")).run(context);
  await take.apply(undefined, [0]);
  send(stringify({ t: "ready" }));

  const raw = await readStdin();
  // The parent closed our stdin without a job: the pool is shutting down.
  if (raw.length === 0) die();
  const nl = raw.indexOf(10);
  const job = parse(raw.subarray(0, nl).toString("utf8"));
  const started = now();
  const cpuStart = process.cpuUsage();
  const cpuMs = Number(job.cpuMs);
  setInterval(() => {
    const used = process.cpuUsage(cpuStart);
    if ((used.user + used.system) / 1000 > cpuMs) {
      send(stringify({ t: "cpu" }));
      setTimeout(die, 50);
    }
  }, 50);
  const remaining = () => Math.max(1, Math.ceil(job.timeoutMs - (now() - started)));
  /** @param {string} kind */
  const stop = (kind) => {
    send(stringify({ t: kind }));
  };

  /** @type {string[]} */
  const inputs = [];
  let at = nl + 1;
  for (const size of job.sizes) {
    inputs.push(raw.subarray(at, at + size).toString("utf8"));
    at += size;
  }

  try {
    const script = await isolate.compileScript(job.script, { filename });
    await script.run(context, { timeout: remaining() });
  } catch (err) {
    const limit = limitHit(err, isolate);
    if (limit) return stop(limit);
    const error = describeCopied(err, filename);
    send(stringify({ t: "load", error }));
    return;
  }
  const bound = await bind
    .apply(undefined, [], { timeout: remaining() })
    .catch((/** @type {unknown} */ e) => e);
  if (bound !== "") {
    if (typeof bound !== "string") {
      const limit = limitHit(bound, isolate);
      if (limit) return stop(limit);
    }
    send(stringify({ t: "load", error: typeof bound === "string" ? bound : ivmMessage(bound) }));
    return;
  }

  let budget = job.maxOutputBytes;
  for (let i = 0; i < inputs.length; i++) {
    current = i;
    const cpu0 = isolate.cpuTime;
    const pcpu0 = process.cpuUsage();
    const t0 = now();
    let encoded;
    try {
      await invoke.apply(undefined, [inputs[i]], { timeout: remaining(), result: { promise: true } });
      const ms = now() - t0;
      const cpu = Number(isolate.cpuTime - cpu0) / 1e6;
      const pcpu = process.cpuUsage(pcpu0);
      encoded = await take.apply(undefined, [budget], { timeout: remaining() });
      if (typeof encoded !== "string") throw new Error("the realm returned no output text");
      let timing = `"ms":${ms},"cpu":${cpu}`;
      if (job.profile === true) {
        const held = await isolate.getHeapStatistics();
        await collect.apply(undefined, [], { timeout: remaining() });
        const kept = await isolate.getHeapStatistics();
        const peak = held.total_heap_size + held.externally_allocated_size;
        timing += `,"pcpu":${(pcpu.user + pcpu.system) / 1000},"peak":${peak},"kept":${kept.used_heap_size + kept.externally_allocated_size}`;
      }
      if (encoded[0] === "1") {
        const json = encoded.slice(1);
        const bytes = Buffer.byteLength(json);
        // The JSON text comes from the realm's own JSON.stringify, captured before the
        // candidate ran; checked anyway, since it is spliced into our message.
        parse(json);
        if (bytes <= budget) {
          budget -= bytes;
          send(`{"t":"out","i":${i},"ok":true,${timing},"value":${json}}`);
          continue;
        }
        encoded = `2${bytes}`;
      }
      let error;
      if (encoded[0] === "2") {
        /** @param {number} n */
        const mb = (n) => (n / 1048576).toFixed(1);
        error = `output too large: ${mb(Number(encoded.slice(1)))} MB of JSON, ${mb(budget)} MB left of the ${mb(job.maxOutputBytes)} MB limit for all outputs`;
      } else {
        error = encoded.slice(1);
      }
      send(`{"t":"out","i":${i},"ok":false,${timing},"error":${stringify(error)}}`);
    } catch (err) {
      const limit = limitHit(err, isolate);
      if (limit) return stop(limit);
      throw err;
    }
  }
  current = -1;
  send(stringify({ t: "done" }));
}

main().catch(hostFatal);
