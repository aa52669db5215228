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

const readSync = fs.readSync;
const writeSync = fs.writeSync;

// What the kernel's code prints goes to the host as jsii's entry point relays it: one JSON line on
// stderr per chunk, {"stdout": base64} or {"stderr": base64}, which jsii's host decodes and prints.
function relayed(stream, chunk, encoding) {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8");
  writeSync(2, `${JSON.stringify({ [stream]: bytes.toString("base64") })}\n`);
}

fs.readSync = function readChannel(fd, ...rest) {
  return readSync.call(this, fd === API_CHANNEL ? 0 : fd, ...rest);
};
fs.writeSync = function writeChannel(fd, buffer, ...rest) {
  if (fd === API_CHANNEL) return writeSync.call(this, 1, buffer, ...rest);
  if (fd === 1 || fd === 2) {
    // Written straight to stdout or stderr (the kernel's own error lines): relayed like the streams.
    // Only the (buffer) and (string) forms occur for these descriptors.
    relayed(fd === 1 ? "stdout" : "stderr", buffer);
    return Buffer.isBuffer(buffer) ? buffer.length : Buffer.byteLength(String(buffer));
  }
  return writeSync.call(this, fd, buffer, ...rest);
};
for (const [name, stream] of [["stdout", process.stdout], ["stderr", process.stderr]]) {
  stream.write = function write(chunk, encoding, callback) {
    relayed(name, chunk, encoding);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done);
    return true;
  };
}

// jsii links each package it loads to its package cache when the kernel runs with
// --preserve-symlinks (which its entry point passes its kernel), and copies every file otherwise.
// kernel_in_process.py sets the flag through NODE_OPTIONS, which process.execArgv does not list.
if ((process.env.NODE_OPTIONS || "").split(/\s+/).includes("--preserve-symlinks")) {
  process.execArgv.push("--preserve-symlinks");
}

require(program);
