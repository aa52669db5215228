// Loaded by kernel_in_process.cjs when JSII_KERNEL_MODULES names a file; stacks/kernel_warmup.py says why.
"use strict";

const fs = require("fs");
const Module = require("module");
const path = require("path");

const LIBRARY = `${path.sep}node_modules${path.sep}aws-cdk-lib${path.sep}`;

// The aws-cdk-lib modules the app's previous synth loaded, in the order it loaded them; none when
// there is no list to read (this only makes a synth faster, it must never stop one).
function previouslyLoaded(file) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

function warmUp(modulesFile) {
  const modules = previouslyLoaded(modulesFile);
  const load = Module._load;
  let library;
  // The files the warm-up loaded, by what they export; and those of them the synth then asked for.
  let warmed;
  const used = new Set();
  Module._load = function loadNoting(request, ...rest) {
    const exported = load.call(this, request, ...rest);
    if (warmed !== undefined) {
      const file = warmed.get(exported);
      if (file !== undefined) used.add(file);
    } else if (library === undefined && typeof request === "string" && request.endsWith(`${LIBRARY}index.js`)) {
      library = request.slice(0, -"index.js".length);
      // Once the kernel has answered the load: it loads the modules while the app imports its own.
      setImmediate(() => {
        const before = new Set(Object.keys(require.cache));
        for (const relative of modules) {
          try {
            require(path.join(library, relative));
          } catch {
            // Gone since the list was written: the build loads what it needs.
          }
        }
        const loaded = Object.keys(require.cache).filter((file) => !before.has(file));
        warmed = new Map(loaded.map((file) => [require.cache[file].exports, file]));
      });
    }
    return exported;
  };
  process.on("exit", () => {
    if (library === undefined) return;
    // What this synth loaded: a module the warm-up loaded counts only if the synth asked for it, so
    // that one the app no longer uses leaves the list.
    const early = new Set(warmed === undefined ? [] : warmed.values());
    const loaded = Object.keys(require.cache)
      .filter((file) => file.startsWith(library) && (!early.has(file) || used.has(file)))
      .map((file) => file.slice(library.length));
    const staging = `${modulesFile}.${process.pid}`;
    try {
      fs.writeFileSync(staging, `${loaded.join("\n")}\n`);
      fs.renameSync(staging, modulesFile);
    } catch {
      // Not recorded (the folder is gone or full): the next synth warms up with the older list.
      fs.rmSync(staging, { force: true });
    }
  });
}

module.exports = { warmUp };
