#!/usr/bin/env node
// Builds and checks the npm packages of novita-mock; the .ci/ scripts and the release workflow
// call it, so a build that breaks here breaks in CI first.
//
//   node js/scripts/npm-packages.mjs platform RUST_TARGET BINARY OUTDIR
//       stages @novita-mock/<os>-<arch>[-musl] around BINARY (checked against the target's
//       format and architecture) and packs it into OUTDIR; prints the tarball's path.
//   node js/scripts/npm-packages.mjs main OUTDIR
//       packs the built main package (js/dist must exist) with its version and its
//       optionalDependencies pinned, both from mock-server/Cargo.toml; prints the tarball's path.
//   node js/scripts/npm-packages.mjs versions [--tag vX.Y.Z] [ARTIFACT...]
//       fails unless every version agrees with the novita-mock crate's (see checkVersions);
//       ARTIFACTs are npm tarballs (.tgz), wheels (.whl) and crates (.crate).

import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCOPE = "@novita-mock";

// Rust target triple -> npm platform package, with the os/cpu/libc fields npm selects on and
// the executable format the binary must have.
export const TARGETS = {
  "x86_64-unknown-linux-gnu": { name: "linux-x64", os: "linux", cpu: "x64", libc: "glibc", format: "elf", machine: 0x3e },
  "aarch64-unknown-linux-gnu": { name: "linux-arm64", os: "linux", cpu: "arm64", libc: "glibc", format: "elf", machine: 0xb7 },
  "x86_64-unknown-linux-musl": { name: "linux-x64-musl", os: "linux", cpu: "x64", libc: "musl", format: "elf", machine: 0x3e },
  "aarch64-unknown-linux-musl": { name: "linux-arm64-musl", os: "linux", cpu: "arm64", libc: "musl", format: "elf", machine: 0xb7 },
  "x86_64-apple-darwin": { name: "darwin-x64", os: "darwin", cpu: "x64", format: "macho", machine: 0x01000007 },
  "aarch64-apple-darwin": { name: "darwin-arm64", os: "darwin", cpu: "arm64", format: "macho", machine: 0x0100000c },
  "x86_64-pc-windows-msvc": { name: "win32-x64", os: "win32", cpu: "x64", format: "pe", machine: 0x8664 },
};

function fail(message) {
  console.error(`npm-packages: ${message}`);
  process.exit(1);
}

/** The novita-mock crate's version: the one source of every package's version. */
export function crateVersion(root = ROOT, manifest = "mock-server/Cargo.toml") {
  const toml = readFileSync(join(root, manifest), "utf8");
  const pkg = toml.split(/^\[/m).find((section) => section.startsWith("package]"));
  const found = pkg && /^version\s*=\s*"([^"]+)"/m.exec(pkg);
  if (!found) fail(`no [package] version in ${manifest}`);
  return found[1];
}

/** What is wrong with `head` as a program for `spec`, or null. */
export function formatProblem(head, spec) {
  if (spec.format === "elf") {
    if (head.subarray(0, 4).toString("hex") !== "7f454c46") return "is not an ELF program";
    const machine = head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18);
    return machine === spec.machine ? null : `is an ELF program for machine 0x${machine.toString(16)}`;
  }
  if (spec.format === "macho") {
    if (head.readUInt32LE(0) !== 0xfeedfacf) return "is not a 64-bit Mach-O program";
    const cpu = head.readUInt32LE(4);
    return cpu === spec.machine ? null : `is a Mach-O program for cpu type 0x${cpu.toString(16)}`;
  }
  if (head.subarray(0, 2).toString("latin1") !== "MZ") return "is not a Windows (PE) program";
  const pe = head.readUInt32LE(0x3c);
  if (pe + 6 > head.length || head.readUInt32LE(pe) !== 0x4550) return "has no PE header";
  const machine = head.readUInt16LE(pe + 4);
  return machine === spec.machine ? null : `is a PE program for machine 0x${machine.toString(16)}`;
}

function pack(dir, outDir) {
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", resolve(outDir)], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return join(resolve(outDir), JSON.parse(out)[0].filename);
}

function platformPackage(target, binary, outDir) {
  const spec = TARGETS[target];
  if (!spec) fail(`no npm platform package for target ${target}; known: ${Object.keys(TARGETS).join(", ")}`);
  let bytes;
  try {
    bytes = readFileSync(binary);
  } catch (error) {
    fail(`binary ${binary}: ${error.message}`);
  }
  const problem = formatProblem(bytes.subarray(0, 4096), spec);
  if (problem) fail(`binary ${binary} ${problem}, not one for ${target}`);
  const version = crateVersion();
  const stage = mkdtempSync(join(tmpdir(), "novita-mock-platform-"));
  try {
    const file = spec.os === "win32" ? "novita-mock.exe" : "novita-mock";
    mkdirSync(join(stage, "bin"));
    copyFileSync(binary, join(stage, "bin", file));
    chmodSync(join(stage, "bin", file), 0o755);
    const manifest = {
      name: `${SCOPE}/${spec.name}`,
      version,
      description: `The novita-mock binary for ${spec.os} ${spec.cpu}${spec.libc ? ` (${spec.libc})` : ""}; installed by the novita-mock package`,
      license: "MIT OR Apache-2.0",
      os: [spec.os],
      cpu: [spec.cpu],
      ...(spec.libc ? { libc: [spec.libc] } : {}),
      files: [`bin/${file}`],
      preferUnplugged: true,
    };
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(
      join(stage, "README.md"),
      `# ${manifest.name}\n\nThe \`novita-mock\` binary (built from Rust target \`${target}\`) for the ` +
        "[novita-mock](https://www.npmjs.com/package/novita-mock) package, which installs it " +
        "through `optionalDependencies`. Install `novita-mock`, not this package.\n",
    );
    return pack(stage, outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function mainPackage(outDir) {
  const js = join(ROOT, "js");
  const version = crateVersion();
  const stage = mkdtempSync(join(tmpdir(), "novita-mock-main-"));
  try {
    const manifest = JSON.parse(readFileSync(join(js, "package.json"), "utf8"));
    manifest.version = version;
    manifest.optionalDependencies = Object.fromEntries(
      Object.values(TARGETS).map((spec) => [`${SCOPE}/${spec.name}`, version]),
    );
    delete manifest.devDependencies;
    delete manifest.scripts;
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const file of ["index.js", "index.cjs", "index.d.ts", "index.d.cts"]) {
      mkdirSync(join(stage, "dist"), { recursive: true });
      try {
        copyFileSync(join(js, "dist", file), join(stage, "dist", file));
      } catch {
        fail(`js/dist/${file} is missing: run npm run build in js/ first`);
      }
    }
    copyFileSync(join(js, "README.md"), join(stage, "README.md"));
    return pack(stage, outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function tarballManifest(tarball) {
  const text = execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" });
  return JSON.parse(text);
}

/** Every version the repository declares or an artifact carries, against the novita-mock
 * crate's: the release tag (vX.Y.Z), the novita-video crate, the checked-in js/package.json,
 * the control spec's info.version, the wheel (its version must be dynamic, read from
 * mock-server/Cargo.toml by maturin), each wheel's and crate's file name, each npm tarball's
 * version and optionalDependencies pins (one per platform package, none missing). Returns the
 * disagreements. */
export function checkVersions(root, artifacts, tag) {
  const want = crateVersion(root);
  const problems = [];
  if (tag !== undefined && tag !== `v${want}`) problems.push(`the release tag ${tag} names version ${tag.replace(/^v/, "")}`);
  const client = crateVersion(root, "Cargo.toml");
  if (client !== want) problems.push(`the novita-video crate (Cargo.toml) has version ${client}`);
  const js = JSON.parse(readFileSync(join(root, "js/package.json"), "utf8"));
  if (js.version !== want) problems.push(`js/package.json has version ${js.version}`);
  const spec = readFileSync(join(root, "openapi/mock-control.yaml"), "utf8");
  const info = /^info:\n(?:\s+.*\n)*?\s+version:\s*"?([^"\n]+)"?/m.exec(spec);
  if (!info || info[1] !== want) problems.push(`openapi/mock-control.yaml has info.version ${info?.[1]}`);
  const pyproject = readFileSync(join(root, "python/pyproject.toml"), "utf8");
  if (!/^dynamic\s*=\s*\[[^\]]*"version"/m.test(pyproject) || /^version\s*=/m.test(pyproject)) {
    problems.push("python/pyproject.toml must take its version from Cargo (dynamic, no version =)");
  }
  const manifest = /^manifest-path\s*=\s*"([^"]+)"/m.exec(pyproject);
  if (!manifest || !manifest[1].endsWith("mock-server/Cargo.toml")) {
    problems.push(`python/pyproject.toml builds from ${manifest?.[1]}, not mock-server/Cargo.toml`);
  }
  for (const artifact of artifacts) {
    const name = basename(artifact);
    if (name.endsWith(".whl") || name.endsWith(".crate")) {
      // novita_mock-0.1.0-py3-none-manylinux_2_17_x86_64.whl, novita-video-0.1.0.crate
      const version = name.endsWith(".whl") ? name.split("-")[1] : name.slice(0, -".crate".length).split("-").pop();
      if (version !== want) problems.push(`${name} has version ${version}`);
      continue;
    }
    const tarball = artifact;
    const m = tarballManifest(tarball);
    if (m.version !== want) problems.push(`${basename(tarball)}: ${m.name} has version ${m.version}`);
    if (m.name === "novita-mock") {
      const pins = m.optionalDependencies ?? {};
      for (const spec of Object.values(TARGETS)) {
        const dep = `${SCOPE}/${spec.name}`;
        if (pins[dep] !== want) problems.push(`${basename(tarball)}: optionalDependencies ${dep} is ${pins[dep]}`);
      }
    }
  }
  return problems.map((p) => `${p}, not the novita-mock crate's ${want}`);
}

function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === "platform" && args.length === 3) {
    console.log(platformPackage(args[0], args[1], args[2]));
  } else if (command === "main" && args.length === 1) {
    console.log(mainPackage(args[0]));
  } else if (command === "versions") {
    const tag = args[0] === "--tag" ? (args.shift(), args.shift()) : undefined;
    const problems = checkVersions(ROOT, args, tag);
    if (problems.length > 0) fail(`versions disagree:\n  ${problems.join("\n  ")}`);
    console.error(`npm-packages: every version is the crate's ${crateVersion()} (${args.length} artifacts${tag ? `, tag ${tag}` : ""})`);
  } else {
    fail("usage: platform RUST_TARGET BINARY OUTDIR | main OUTDIR | versions [--tag TAG] [ARTIFACT...]");
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
