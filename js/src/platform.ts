// Which platform package holds the binary for this machine, and whether a file's header says it
// can run here (ELF machine, Mach-O, PE), checked before the binary is started.

/** The platforms a package `@novita-mock/<name>` is published for. */
export const PLATFORM_PACKAGES = [
  "linux-x64",
  "linux-arm64",
  "linux-x64-musl",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
  "win32-x64",
] as const;

export type PlatformPackage = (typeof PLATFORM_PACKAGES)[number];

export const SCOPE = "@novita-mock";

/** `linux x64 (glibc)`, `darwin arm64`, ...: how errors name this machine. */
export function describeHere(): string {
  const libc = process.platform === "linux" ? ` (${linuxLibc()})` : "";
  return `${process.platform} ${process.arch}${libc}`;
}

/** The C library of this Linux machine: glibc when Node reports a glibc runtime, else musl. */
export function linuxLibc(): "glibc" | "musl" {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime ? "glibc" : "musl";
}

/** The platform packages to look in, best first. On Linux both builds are static binaries, so
 * the other C library's package is a fallback (an npm too old for the `libc` field may have
 * installed that one alone). Empty when no package is published for this machine. */
export function platformPackages(): string[] {
  const base = `${process.platform}-${process.arch}`;
  let names: string[];
  if (process.platform === "linux") {
    const musl = `${base}-musl`;
    names = linuxLibc() === "musl" ? [musl, base] : [base, musl];
  } else {
    names = [base];
  }
  return names
    .filter((name) => (PLATFORM_PACKAGES as readonly string[]).includes(name))
    .map((name) => `${SCOPE}/${name}`);
}

export function binaryName(): string {
  return process.platform === "win32" ? "novita-mock.exe" : "novita-mock";
}

// ELF e_machine values and the process.arch of the same architecture.
const ELF_MACHINES: Record<number, [string, string[]]> = {
  0x03: ["i386", ["ia32"]],
  0x28: ["arm", ["arm"]],
  0x3e: ["x86_64", ["x64"]],
  0xb7: ["aarch64", ["arm64"]],
  0xf3: ["riscv", ["riscv64"]],
  0x15: ["ppc64", ["ppc64"]],
  0x16: ["s390x", ["s390x"]],
};

const MACH_O = ["cffaedfe", "cefaedfe", "cafebabe"];

/** What keeps a program starting with `head` from running here, or null when nothing visible
 * does (starting it may still fail). */
export function platformProblem(head: Buffer): string | null {
  const here = describeHere();
  if (head.subarray(0, 2).toString("latin1") === "#!") return null;
  if (head.subarray(0, 2).toString("latin1") === "MZ") {
    return process.platform === "win32" ? null : `is a Windows program; this machine is ${here}`;
  }
  if (MACH_O.includes(head.subarray(0, 4).toString("hex"))) {
    return process.platform === "darwin"
      ? null
      : `is a macOS (Mach-O) program; this machine is ${here}`;
  }
  if (head.subarray(0, 4).toString("hex") === "7f454c46") {
    if (process.platform !== "linux") return `is a Linux (ELF) program; this machine is ${here}`;
    return elfMachineProblem(head, here);
  }
  if (process.platform === "linux" || process.platform === "darwin") {
    return `is not a program (no ELF, Mach-O or #! header); this machine is ${here}`;
  }
  return null;
}

function elfMachineProblem(head: Buffer, here: string): string | null {
  if (head.length < 20) return "is a truncated ELF file";
  const machine = head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18);
  const known = ELF_MACHINES[machine];
  if (known === undefined) {
    return `is an ELF program for machine type 0x${machine.toString(16)}; this machine is ${here}`;
  }
  const [name, arches] = known;
  return arches.includes(process.arch) ? null : `is built for ${name}; this machine is ${here}`;
}
