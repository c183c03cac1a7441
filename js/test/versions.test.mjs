// The version check fails when any version disagrees with the novita-mock crate's.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

import { checkVersions, crateVersion } from "../scripts/npm-packages.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FILES = ["Cargo.toml", "mock-server/Cargo.toml", "js/package.json", "openapi/mock-control.yaml", "python/pyproject.toml"];
const made = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the files the check reads, with `edit(relativePath, text)` applied. */
function fakeRoot(edit = (_, text) => text) {
  const dir = mkdtempSync(join(tmpdir(), "novita-versions-"));
  made.push(dir);
  for (const file of FILES) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), edit(file, readFileSync(join(ROOT, file), "utf8")));
  }
  return dir;
}

test("the repository's versions agree", () => {
  assert.deepEqual(checkVersions(ROOT, []), []);
  assert.deepEqual(checkVersions(fakeRoot(), []), []);
});

test("a js/package.json version other than the crate's is caught", () => {
  const root = fakeRoot((file, text) => (file === "js/package.json" ? text.replace(/"version": "[^"]+"/, '"version": "9.9.9"') : text));
  assert.match(checkVersions(root, []).join("\n"), /js\/package.json has version 9.9.9, not the novita-mock crate's/);
});

test("a bumped crate is caught in every file that did not follow", () => {
  const root = fakeRoot((file, text) => (file === "mock-server/Cargo.toml" ? text.replace(/^version = "[^"]+"/m, 'version = "7.0.0"') : text));
  assert.equal(crateVersion(root), "7.0.0");
  const problems = checkVersions(root, []).join("\n");
  assert.match(problems, /js\/package.json has version/);
  assert.match(problems, /mock-control.yaml has info.version/);
});

test("a wheel with a version of its own is caught", () => {
  const root = fakeRoot((file, text) => (file === "python/pyproject.toml" ? text.replace('name = "novita-mock"', 'name = "novita-mock"\nversion = "0.0.1"') : text));
  assert.match(checkVersions(root, []).join("\n"), /must take its version from Cargo/);
});

test("a release tag, a wheel or a crate of another version is caught", () => {
  const want = crateVersion(ROOT);
  assert.deepEqual(checkVersions(ROOT, [`novita_mock-${want}-py3-none-manylinux_2_17_x86_64.whl`, `novita-video-${want}.crate`], `v${want}`), []);
  const problems = checkVersions(ROOT, ["dist/novita_mock-0.0.9-py3-none-win_amd64.whl", "novita-video-0.0.9.crate"], "v0.0.9").join("\n");
  assert.match(problems, /the release tag v0.0.9 names version 0.0.9, not the novita-mock crate/);
  assert.match(problems, /novita_mock-0.0.9-py3-none-win_amd64.whl has version 0.0.9/);
  assert.match(problems, /novita-video-0.0.9.crate has version 0.0.9/);
});

test("a main tarball whose optionalDependencies pin another version is caught", () => {
  const dir = mkdtempSync(join(tmpdir(), "novita-tarball-"));
  made.push(dir);
  const manifest = JSON.parse(readFileSync(join(ROOT, "js/package.json"), "utf8"));
  manifest.optionalDependencies = { "@novita-mock/linux-x64": manifest.version, "@novita-mock/darwin-arm64": "0.0.1" };
  mkdirSync(join(dir, "package"));
  writeFileSync(join(dir, "package/package.json"), JSON.stringify(manifest));
  execFileSync("tar", ["-czf", join(dir, "main.tgz"), "-C", dir, "package"]);
  const problems = checkVersions(ROOT, [join(dir, "main.tgz")]).join("\n");
  assert.match(problems, /optionalDependencies @novita-mock\/darwin-arm64 is 0.0.1/);
  assert.match(problems, /optionalDependencies @novita-mock\/win32-x64 is undefined/);
  assert.doesNotMatch(problems, /linux-x64 is/);
});
