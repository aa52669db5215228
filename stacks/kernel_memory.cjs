// Preloaded into jsii's Node.js processes through NODE_OPTIONS; stacks/kernel_memory.py says why.
"use strict";

const [major, minor] = process.versions.v8.split(".").map(Number);
// Node.js 24 runs V8 13.6, which has the flag. V8 14.8 made its behaviour the default and removed the
// flag; setting an unknown flag prints an error, so nothing is set there.
if ((major === 13 && minor >= 6) || (major === 14 && minor < 8)) {
  require("v8").setFlagsFromString("--external-memory-accounted-in-global-limit");
}
