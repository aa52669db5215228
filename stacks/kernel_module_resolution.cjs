// Loaded by kernel_in_process.cjs; stacks/kernel_in_process.py says why.
"use strict";

const Module = require("module");
const path = require("path");

// Node.js remembers where a package name leads from a folder (Module._pathCache, keyed by the name
// and the folders searched), except when the package's "exports" map answered: that answer is
// worked out again for every require. aws-cdk-lib's map has hundreds of entries, and cdk-nag's
// rule files each require aws-cdk-lib's modules by name: about half of loading cdk-nag.
// Remembered here under the key Node.js uses for the others. A request with options (its own
// search paths), a relative or absolute path, and the main module go to Node.js unremembered; so
// does a request that fails (a package may be linked in later, as jsii links each package it loads).
function rememberPackageResolution() {
  const resolve = Module._resolveFilename;
  const remembered = new Map();
  Module._resolveFilename = function resolveRemembering(request, parent, isMain, options) {
    if (
      options !== undefined ||
      isMain ||
      typeof request !== "string" ||
      request.startsWith(".") ||
      path.isAbsolute(request) ||
      !Array.isArray(parent?.paths)
    ) {
      return resolve.call(this, request, parent, isMain, options);
    }
    const key = `${request}\x00${parent.paths.join("\x00")}`;
    let filename = remembered.get(key);
    if (filename === undefined) {
      filename = resolve.call(this, request, parent, isMain, options);
      remembered.set(key, filename);
    }
    return filename;
  };
}

module.exports = { rememberPackageResolution };
