"""The kernel works out where a package name leads from a folder once (stacks/kernel_module_resolution.cjs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT

RESOLUTION = REPO_ROOT / "stacks" / "kernel_module_resolution.cjs"
# Resolves each request from each parent file with Node.js's own resolver, then again twice with the
# remembering one in front of it, counting how often Node.js's resolver is still asked.
SCRIPT = """
const Module = require("module");
const path = require("path");
const root = process.argv[2];
const parents = ["app/a.js", "app/b.js", "other/c.js"].map((file) => {
  const parent = new Module(path.join(root, file));
  parent.filename = path.join(root, file);
  parent.paths = Module._nodeModulePaths(path.dirname(parent.filename));
  return parent;
});
const requests = ["library", "library/sub", "plain", "fs", "node:path", "./a.js", "missing"];
function resolveAll() {
  return parents.map((parent) => requests.map((request) => {
    try {
      return path.relative(root, Module._resolveFilename(request, parent, false));
    } catch (error) {
      return error.code;
    }
  }));
}
const asNodeResolves = resolveAll();
const counted = {};
const nodeResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  counted[request] = (counted[request] ?? 0) + 1;
  return nodeResolve.call(this, request, ...rest);
};
require(process.argv[1]).rememberPackageResolution();
const first = resolveAll();
const second = resolveAll();
console.log(JSON.stringify({ asNodeResolves, first, second, counted }));
"""


def _tree(root: Path) -> None:
    library = root / "node_modules" / "library"
    library.mkdir(parents=True)
    exports = {".": "./main.js", "./sub": "./lib/sub.js"}
    (library / "package.json").write_text(json.dumps({"name": "library", "exports": exports}))
    (library / "main.js").write_text("")
    (library / "lib").mkdir()
    (library / "lib" / "sub.js").write_text("")
    (root / "node_modules" / "plain").mkdir()
    (root / "node_modules" / "plain" / "index.js").write_text("")
    for file in ("app/a.js", "app/b.js", "other/c.js"):
        (root / file).parent.mkdir(exist_ok=True)
        (root / file).write_text("")
    # From other/, "plain" leads to another package of that name.
    (root / "other" / "node_modules" / "plain").mkdir(parents=True)
    (root / "other" / "node_modules" / "plain" / "index.js").write_text("")


def _resolve(root: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["node", "-e", SCRIPT, str(RESOLUTION), str(root)], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_each_package_name_is_resolved_once_per_folder_to_where_node_js_resolves_it(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _resolve(tmp_path)
    assert result["asNodeResolves"][0][:3] == [
        "node_modules/library/main.js",
        "node_modules/library/lib/sub.js",
        "node_modules/plain/index.js",
    ]
    assert result["asNodeResolves"][2][2] == "other/node_modules/plain/index.js"
    assert result["first"] == result["second"] == result["asNodeResolves"]
    counted = result["counted"]
    # a.js and b.js share their folder; c.js searches other folders. Each resolution of a name, the
    # exports map's included, happens once per folder, however often it is asked for.
    for name in ("library", "library/sub", "plain", "fs", "node:path"):
        assert counted[name] == 2, name
    # Paths relative to the requiring file go to Node.js every time; so does a name not found (yet).
    assert counted["./a.js"] == 6
    assert counted["missing"] == 6
