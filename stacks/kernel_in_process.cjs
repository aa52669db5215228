// jsii's kernel, run in the Node.js process jsii starts (JSII_RUNTIME); stacks/kernel_in_process.py says why.
"use strict";

const fs = require("fs");

const program = process.env.JSII_KERNEL_PROGRAM;
if (!program) {
  throw new Error("JSII_KERNEL_PROGRAM must name jsii's lib/program.js (stacks/kernel_in_process.py sets it)");
}

// The kernel reads its requests from, and writes its answers to, file descriptor 3: the channel
// jsii's own entry point opens to it. Here the host's pipes are stdin and stdout. Descriptor 3 is
// taken first if it is free, so that no file the kernel opens gets that number.
const API_CHANNEL = 3;
try {
  fs.fstatSync(API_CHANNEL);
} catch {
  const placeholder = fs.openSync("/dev/null", "r");
  if (placeholder !== API_CHANNEL) {
    throw new Error(`expected file descriptor ${API_CHANNEL} for the placeholder, got ${placeholder}`);
  }
}

const { Readable, Writable } = require("stream");
const readSync = fs.readSync;
const writeSync = fs.writeSync;
const pause = new Int32Array(new SharedArrayBuffer(4));

// All of `bytes` to `fd`, waiting while a full pipe refuses more (as the kernel writes its answers).
function writeAll(fd, bytes) {
  let written = 0;
  let wait = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written);
      wait = 0;
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
      wait = Math.min(Math.max(2 * wait, 1), 10);
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}

// What the kernel's code prints goes to the host as jsii's entry point relays it: one JSON line on
// stderr per chunk, {"stdout": base64} or {"stderr": base64}, which jsii's host decodes and prints.
function relay(stream, chunk, encoding) {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8");
  writeAll(2, Buffer.from(`${JSON.stringify({ [stream]: bytes.toString("base64") })}\n`));
}

// Node.js's own stdio streams are never created: they would make the host's pipes non-blocking, and
// the kernel's synchronous reads of the channel would fail. Like jsii's own kernel, this one has no
// input; its output is relayed.
function relaying(stream) {
  return new Writable({
    write(chunk, encoding, callback) {
      relay(stream, chunk, encoding);
      callback();
    },
  });
}
const replacements = { stdin: Readable.from([]), stdout: relaying("stdout"), stderr: relaying("stderr") };
for (const [name, replacement] of Object.entries(replacements)) {
  Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => replacement });
}

fs.readSync = function readChannel(fd, ...rest) {
  return readSync.call(this, fd === API_CHANNEL ? 0 : fd, ...rest);
};
fs.writeSync = function writeChannel(fd, buffer, ...rest) {
  if (fd === API_CHANNEL) return writeSync.call(this, 1, buffer, ...rest);
  if (fd === 1 || fd === 2) {
    // Written straight to stdout or stderr (the kernel's own error lines): relayed like the streams.
    // Only the (buffer) and (string) forms occur for these descriptors.
    relay(fd === 1 ? "stdout" : "stderr", buffer);
    return Buffer.isBuffer(buffer) ? buffer.length : Buffer.byteLength(String(buffer));
  }
  return writeSync.call(this, fd, buffer, ...rest);
};

// jsii links each package it loads to its package cache when the kernel runs with
// --preserve-symlinks (which its entry point passes its kernel), and copies every file otherwise.
// kernel_in_process.py sets the flag through NODE_OPTIONS, which process.execArgv does not list.
if ((process.env.NODE_OPTIONS || "").split(/\s+/).includes("--preserve-symlinks")) {
  process.execArgv.push("--preserve-symlinks");
}

// Where a package name leads from a folder, worked out once (kernel_in_process.py).
require("./kernel_module_resolution.cjs").rememberPackageResolution();

// Compiled code of the packages the kernel loads, kept for the next kernel (kernel_in_process.py).
if (process.env.JSII_KERNEL_COMPILE_CACHE) {
  require("./kernel_compile_cache.cjs").cacheCompiledCode(process.env.JSII_KERNEL_COMPILE_CACHE);
}

// The app's kernel loads the modules its previous synth used while the app imports (kernel_warmup.py).
if (process.env.JSII_KERNEL_MODULES) {
  require("./kernel_warmup.cjs").warmUp(process.env.JSII_KERNEL_MODULES);
}

require(program);
