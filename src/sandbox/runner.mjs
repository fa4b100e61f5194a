// @ts-check
/**
 * The sandbox child (plain JS: it must start without a TypeScript loader). It
 * runs one job and is then killed; the candidate never runs in this realm but
 * in an isolated-vm isolate created here, which holds nothing of ours but the
 * functions of `realm()` (realm.mjs) and a console that writes to our stdout.
 *
 * Arguments: --ivm=<path of isolated-vm's entry> --memory-mb=<isolate heap limit> [--label=…].
 *
 * Protocol. The child prepares its isolate, then sends {"t":"ready"} on fd 3
 * and reads the job from stdin: one JSON line
 * `{ script, filename, sizes, timeoutMs, cpuMs, maxOutputBytes, host }`, then the
 * inputs as JSON texts of `sizes[i]` bytes each, back to back. It answers on
 * fd 3 with newline-delimited JSON, the candidate's console output included
 * (as text inside messages, so it cannot forge one):
 *   {"t":"out","i":0,"ok":true,"ms":1.2,"cpu":1.1,"value":<output>}
 *   {"t":"out","i":1,"ok":false,"ms":0.3,"cpu":0.2,"error":"..."}
 *   {"t":"done"} | {"t":"load","error":"..."} | {"t":"fatal","i":2,"error":"..."}
 *   {"t":"timeout"} | {"t":"memory"} | {"t":"cpu"} | {"t":"log","text":"..."}
 * A job whose header has `host: { global, maxCalls, maxChars }` gets the host-call
 * channel: the realm's function `global` sends {"t":"call","n":1,"i":0,"request":"..."}
 * (n counts the job's calls from 1, i is the input running), and the parent answers on
 * stdin, which it keeps open, one line per call, in any order:
 * {"n":1,"ok":true,"text":"..."} or {"n":1,"ok":false,"error":"..."}. A job without it
 * has its stdin closed after the inputs.
 * Durations are measured here, around each call into the isolate, where the
 * candidate cannot reach the clock. A job with `profile: true` (`adrs audit`)
 * also gets, per call, the process's CPU time ("pcpu") and the isolate's heap
 * ("peak": held before a collection, "kept": in use after a full one).
 */
import { createRequire } from "node:module";
import net from "node:net";
import { StringDecoder } from "node:string_decoder";
import { realm } from "./realm.mjs";
import { outputCopier } from "./realm-output.mjs";

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

/**
 * Reads the job from stdin (the header line and the inputs' bytes) and resolves with it
 * as soon as it is whole; every line after it is an answer to a host call, handed to
 * `onAnswer`. Ends this process when stdin closes before the job is whole (the pool is
 * shutting down, or the parent gave up on us).
 * @param {(line: string) => void} onAnswer
 * @returns {Promise<{ header: Buffer; inputs: string[] }>}
 */
function readJob(onAnswer) {
  return new Promise((resolve) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let length = 0;
    /** Where the header line ends, once seen. */
    let nl = -1;
    /** Bytes of the whole job, once the header is read. */
    let need = -1;
    /** @type {number[]} */
    let sizes = [];
    let whole = false;
    const decoder = new StringDecoder("utf8");
    let partial = "";
    /** @param {Buffer} bytes */
    const answers = (bytes) => {
      const lines = (partial + decoder.write(bytes)).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line !== "") onAnswer(line);
    };
    process.stdin.on("data", (/** @type {Buffer} */ chunk) => {
      if (whole) return answers(chunk);
      if (nl < 0) {
        const at = chunk.indexOf(10);
        if (at >= 0) nl = length + at;
      }
      chunks.push(chunk);
      length += chunk.length;
      if (nl < 0) return;
      const raw = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      chunks.length = 0;
      chunks.push(raw);
      if (need < 0) {
        sizes = parse(raw.subarray(0, nl).toString("utf8")).sizes;
        need = nl + 1 + sizes.reduce((a, b) => a + b, 0);
      }
      if (length < need) return;
      whole = true;
      /** @type {string[]} */
      const inputs = [];
      let at = nl + 1;
      for (const size of sizes) {
        inputs.push(raw.subarray(at, at + size).toString("utf8"));
        at += size;
      }
      resolve({ header: raw.subarray(0, nl), inputs });
      if (need < length) answers(raw.subarray(need));
    });
    process.stdin.on("end", () => {
      if (!whole) die();
    });
  });
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
  // The realm's host calls, on the protocol channel; only a job with `host` installs the
  // function that makes them. The request stays a string here: the parent judges it.
  const hostCall = new ivm.Callback(
    (/** @type {number} */ n, /** @type {number} */ i, /** @type {unknown} */ request) =>
      send(stringify({ t: "call", n, i, request: String(request) })),
    { ignored: true },
  );
  const filename = "candidate.js";
  // Both sources are self-contained: the output copier is made first, then handed to the realm.
  const realmFn = await context.eval(
    `((...args) => (${realm.toString()})((${outputCopier.toString()})(), ...args))`,
    { reference: true },
  );
  const fns = await realmFn.apply(undefined, [log, logCap, filename, GC_NAME, hostCall], {
    result: { reference: true },
  });
  const [bind, invoke, take, collect, enableHost, settle, receive, waitCall] = await Promise.all(
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => fns.get(i, { reference: true })),
  );
  // The isolate's first compilation and calls pay for lazy set-up (~10 ms): pay it before the
  // clock starts. Neither leaves a trace in the realm.
  await (await isolate.compileScript("void 0")).run(context);
  await take.apply(undefined, [0]);
  send(stringify({ t: "ready" }));

  /** Where answers to host calls go once the job has the channel (none can come before). */
  /** @type {(line: string) => void} */
  let onAnswer = () => undefined;
  const { header, inputs } = await readJob((line) => onAnswer(line));
  const job = parse(header.toString("utf8"));
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

  if (job.host) {
    const { global, maxCalls, maxChars } = job.host;
    await enableHost.apply(undefined, [String(global), Number(maxCalls), Number(maxChars)]);
    // Each answer resolves (or rejects) the realm's promise; the candidate's code that runs on
    // from there is the candidate's time, under the same limits as any call into the isolate.
    onAnswer = (line) => {
      const answer = parse(line);
      const ok = answer.ok === true;
      const text = String(ok ? answer.text : answer.error);
      settle
        .apply(undefined, [Number(answer.n), ok, text], { timeout: remaining() })
        .catch((/** @type {unknown} */ err) => {
          const limit = limitHit(err, isolate);
          if (limit) stop(limit);
          else hostFatal(err);
        });
    };
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
    let encoded;
    try {
      // The input crosses and is parsed before the clock starts: every program's call is timed from its start.
      await receive.apply(undefined, [inputs[i]], { timeout: remaining() });
      // V8 runs collections it scheduled (the input's parse or the last output's encoding
      // filled the young generation) as tasks queued on the isolate, after the apply that
      // scheduled them: a query queued behind them returns once they ran, so the clock
      // below starts with none pending, for every program alike.
      await isolate.getHeapStatistics();
    } catch (err) {
      const limit = limitHit(err, isolate);
      if (limit) return stop(limit);
      throw err;
    }
    const cpu0 = isolate.cpuTime;
    const pcpu0 = process.cpuUsage();
    const t0 = now();
    try {
      // A driver that returned a promise is awaited too, in the same timing (realm.mjs, `invoke`).
      const pending = await invoke.apply(undefined, [i], { timeout: remaining() });
      if (pending === true)
        await waitCall.apply(undefined, [], { timeout: remaining(), result: { promise: true } });
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
