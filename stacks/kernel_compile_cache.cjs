// Loaded by kernel_in_process.cjs when JSII_KERNEL_COMPILE_CACHE names a folder; stacks/kernel_in_process.py says why.
"use strict";

const fs = require("fs");
const Module = require("module");
const os = require("os");
const path = require("path");

// Where jsii's kernel links the packages it loads: a new folder per process, <tmpdir>/jsii-kernel-XXXXXX.
const INSTALL_DIR = /^(.*[\\/]jsii-kernel-[^\\/]+)[\\/]node_modules[\\/]/;
// Inside the kernel's folder, the link to the cache folder that Node.js keys its entries from.
const LINK_NAME = ".compile-cache";

// Node.js keys a cache entry by the file's path relative to the cache folder only in its portable
// mode (24.12 and 25 onwards). Keyed by absolute paths, every synth would add entries for its new
// temporary folder and never read one.
function hasPortableCompileCache(version) {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major > 24 || (major === 24 && minor >= 12);
}

function cacheCompiledCode(folder) {
  if (typeof Module.enableCompileCache !== "function" || !hasPortableCompileCache(process.version)) return;
  const load = Module._load;
  let decided = false;
  Module._load = function loadCachingCompiledCode(request, ...rest) {
    if (!decided && typeof request === "string") {
      const installDir = INSTALL_DIR.exec(request)?.[1];
      if (installDir !== undefined && path.dirname(installDir) === os.tmpdir()) {
        decided = true;
        enableIn(installDir, folder);
      }
    }
    return load.call(this, request, ...rest);
  };
}

// The cache is enabled at the first package the kernel loads, through a link inside the kernel's
// folder: the packages' paths relative to it are the same in every process, so the entries one
// synth writes are the next one's.
function enableIn(installDir, folder) {
  const link = path.join(installDir, LINK_NAME);
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    fs.symlinkSync(folder, link, "dir");
  } catch {
    // No cache folder (not writable, or full): modules are compiled as usual.
    return;
  }
  const { status } = Module.enableCompileCache({ directory: link, portable: true });
  if (status !== Module.constants.compileCacheStatus.ENABLED) return;
  // jsii removes its folder, and the link with it, in an exit handler; Node.js would write the new
  // entries after that, into nothing. They are written first.
  process.prependListener("exit", () => Module.flushCompileCache());
}

module.exports = { cacheCompiledCode, hasPortableCompileCache, LINK_NAME };
