/**
 * `statPath`: the few fields of a file's metadata the stat cache compares,
 * at the cost of the system call alone where possible.
 *
 * On Linux (x86_64 and aarch64, glibc or any libc exporting `stat`) the
 * call goes through FFI into a reused buffer: about 1.7 µs a file here,
 * against 3 µs for `Deno.statSync`, which builds a large object with four
 * `Date`s. Elsewhere, or without the FFI permission, `Deno.statSync` is
 * used. Both give times in milliseconds; FFI keeps ctime's milliseconds where
 * `Deno.statSync` drops them, so the two may differ by under a second (a
 * difference only costs a re-hash in the stat cache).
 *
 * @module
 */

/** A path's metadata, as the stat cache compares it. */
export interface PathStat {
  /** Whether the path is a directory (after following symbolic links). */
  isDirectory: boolean;
  /**
   * What the path is when it is neither a regular file nor a directory
   * (`a FIFO`, `a socket`, `a device`), which cannot be read as a file's
   * content without blocking or without end; undefined otherwise.
   */
  special?: string;
  /** Modification time, milliseconds since the epoch. */
  mtime: number;
  /** Status-change time, milliseconds since the epoch. */
  ctime: number;
  /** Size in bytes. */
  size: number;
  /** Inode number. */
  ino: number;
  /** Whether any execute bit is set in its mode. */
  executable: boolean;
}

type StatFn = (path: string) => PathStat | null;

/**
 * Stats a path, following symbolic links.
 *
 * @param path An absolute path (or one relative to the working directory).
 * @returns Its metadata, or null when it does not exist (or a parent is not a directory).
 * @throws Deno's error for any other failure, such as permission denied.
 *
 * @example
 * ```ts
 * import { statPath } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "abc");
 * assert.equal(statPath(file)?.size, 3);
 * assert.equal(statPath(file + ".missing"), null);
 * ```
 */
export function statPath(path: string): PathStat | null {
  return (implementation ??= chooseImplementation())(path);
}

let implementation: StatFn | undefined;
let relativeTo: ((dir: string | undefined) => void) | undefined;

type UnchangedFn = (
  path: string,
  mtime: number,
  size: number,
  ino: number,
  ctime: number,
) => boolean;

let unchangedImpl: UnchangedFn = (path, mtime, size, ino, ctime) => {
  const st = denoStat(path);
  return st !== null && !st.isDirectory && st.mtime === mtime && st.size === size &&
    st.ino === ino && st.ctime === ctime;
};

/**
 * Whether a path is a file with exactly these stat fields, the way
 * {@linkcode statPath} would give them; false when it is not, or cannot be
 * stat'ed. Allocates nothing: for checking many files that rarely change.
 * @param path The path.
 * @param mtime Expected modification time (ms).
 * @param size Expected size.
 * @param ino Expected inode.
 * @param ctime Expected status-change time (ms).
 * @returns True when every field is as expected.
 */
export function statUnchanged(
  path: string,
  mtime: number,
  size: number,
  ino: number,
  ctime: number,
): boolean {
  implementation ??= chooseImplementation();
  return unchangedImpl(path, mtime, size, ino, ctime);
}

/**
 * Whether anything is at `path`, a dangling symbolic link included (lstat,
 * not following a link at the end). False when nothing is, or when the path
 * cannot be looked up at all (a parent that is not a directory, or not
 * searchable: nothing could be written there either). Throws nothing, which
 * matters where most paths are absent: a thrown error costs 10 to 40 µs, the
 * call through FFI 2.
 * @param path An absolute path (or one relative to the working directory).
 * @returns True when a file, directory or link is there.
 * @internal For barchan's own layers.
 *
 * @example A file, and a path under it
 * ```ts
 * import { pathPresent } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * assert.equal(pathPresent(file), true);
 * assert.equal(pathPresent(`${file}/below`), false);
 * ```
 */
export function pathPresent(path: string): boolean {
  implementation ??= chooseImplementation();
  return presentImpl(path);
}

/**
 * Whether a directory is at `path` itself (lstat: a link to one is not).
 * False when nothing is there, or something else, or the path cannot be
 * looked up. Throws nothing, as {@linkcode pathPresent}.
 * @param path An absolute path (or one relative to the working directory).
 * @returns True for a directory.
 * @internal For barchan's own layers.
 *
 * @example A directory, a file in it, and a path under the file
 * ```ts
 * import { directoryAt } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f`, "");
 * assert.equal(directoryAt(dir), true);
 * assert.equal(directoryAt(`${dir}/f`), false);
 * assert.equal(directoryAt(`${dir}/f/below`), false);
 * ```
 */
export function directoryAt(path: string): boolean {
  implementation ??= chooseImplementation();
  return directoryImpl(path);
}

let directoryImpl = (path: string): boolean => {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch {
    return false;
  }
};

let presentImpl = (path: string): boolean => {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

const O_RDONLY = 0;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_SYMBOLS = {
  fstatat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/**
 * Stats paths under `dir` relative to it (one open directory), which spares
 * the kernel walking `dir`'s own components for each: a few milliseconds per
 * 20,000 files in a deep tree. Undefined stops it. Only where FFI is used.
 * @param dir An absolute directory, such as the project root.
 */
export function statRelativeTo(dir: string | undefined): void {
  implementation ??= chooseImplementation();
  relativeTo?.(dir);
}

function chooseImplementation(): StatFn {
  if (Deno.build.os !== "linux") return denoStat;
  const modeOffset = Deno.build.arch === "x86_64" ? 24 : Deno.build.arch === "aarch64" ? 16 : -1;
  if (modeOffset < 0) return denoStat;
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", {
      stat: { parameters: ["buffer", "buffer"], result: "i32" },
    });
  } catch {
    return denoStat;
  }
  const stat = lib.symbols.stat;
  let at: Deno.DynamicLibrary<typeof AT_SYMBOLS>["symbols"] | undefined;
  try {
    at = Deno.dlopen("libc.so.6", AT_SYMBOLS).symbols;
  } catch {
    // Without fstatat, every path is stat'ed whole.
  }
  const out = new Uint8Array(256);
  const view = new DataView(out.buffer);
  const encoder = new TextEncoder();
  let name = new Uint8Array(1024);
  /** `text` as a NUL-terminated string, in a buffer reused by the next call. */
  const cString = (text: string): Uint8Array => {
    if (text.length * 3 + 1 > name.length) name = new Uint8Array(text.length * 3 + 1);
    const { written } = encoder.encodeInto(text, name);
    name[written] = 0;
    return name;
  };
  let baseFd = -1;
  let basePrefix = "";
  if (at !== undefined) {
    const fstatat = at;
    relativeTo = (dir) => {
      if (baseFd >= 0) fstatat.close(baseFd);
      baseFd = -1;
      basePrefix = "";
      if (dir === undefined) return;
      baseFd = fstatat.open(cString(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (baseFd >= 0) basePrefix = dir.endsWith("/") ? dir : dir + "/";
    };
  }
  /** Stats `path` into `out`; true on success. */
  const statInto = (path: string): boolean => {
    const relative = baseFd >= 0 && path.startsWith(basePrefix) && path.length > basePrefix.length;
    const name = cString(relative ? path.slice(basePrefix.length) : path);
    const rc = relative ? at!.fstatat(baseFd, name, out, 0) : stat(name, out);
    return rc === 0 && !path.includes("\0");
  };
  const ffiStat = (path: string): PathStat | null => {
    if (!statInto(path)) return denoStat(path);
    const bits = view.getUint32(modeOffset, true);
    const mode = bits & 0o170000;
    return {
      isDirectory: mode === 0o040000,
      special: mode !== 0o040000 && mode !== 0o100000 ? specialKind(mode) : undefined,
      mtime: timeAt(view, 88),
      ctime: timeAt(view, 104),
      size: u64At(view, 48),
      ino: u64At(view, 8),
      executable: (bits & 0o111) !== 0,
    };
  };
  const ffiPresent = (path: string): boolean =>
    at!.fstatat(AT_FDCWD, cString(path), out, AT_SYMLINK_NOFOLLOW) === 0 && !path.includes("\0");
  const ffiDirectory = (path: string): boolean =>
    at!.fstatat(AT_FDCWD, cString(path), out, AT_SYMLINK_NOFOLLOW) === 0 &&
    !path.includes("\0") && (view.getUint32(modeOffset, true) & 0o170000) === 0o040000;
  const ffiUnchanged: UnchangedFn = (path, mtime, size, ino, ctime) =>
    statInto(path) && (view.getUint32(modeOffset, true) & 0o170000) !== 0o040000 &&
    u64At(view, 48) === size && u64At(view, 8) === ino && timeAt(view, 88) === mtime &&
    timeAt(view, 104) === ctime;
  // A library that loads but lays `struct stat` out differently must not be
  // trusted: check one known path against Deno's answer.
  try {
    const probe = Deno.execPath();
    const mine = ffiStat(probe);
    const theirs = Deno.statSync(probe);
    if (
      mine === null || mine.size !== theirs.size || mine.ino !== (theirs.ino ?? 0) ||
      Math.floor(mine.mtime) !== (theirs.mtime?.getTime() ?? 0)
    ) return denoStat;
  } catch {
    return denoStat;
  }
  unchangedImpl = ffiUnchanged;
  if (at !== undefined) {
    presentImpl = ffiPresent;
    directoryImpl = ffiDirectory;
  }
  return ffiStat;
}

function denoStat(path: string): PathStat | null {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
  return {
    isDirectory: st.isDirectory,
    special: st.isFile || st.isDirectory
      ? undefined
      : st.isFifo
      ? "a FIFO"
      : st.isSocket
      ? "a socket"
      : st.isCharDevice || st.isBlockDevice
      ? "a device"
      : undefined,
    mtime: st.mtime?.getTime() ?? 0,
    ctime: st.ctime?.getTime() ?? 0,
    size: st.size,
    ino: st.ino ?? 0,
    executable: ((st.mode ?? 0) & 0o111) !== 0,
  };
}

/**
 * A `struct timespec` in milliseconds, its nanoseconds kept as the
 * fraction (a double holds them to about a quarter of a microsecond).
 */
function timeAt(view: DataView, offset: number): number {
  const seconds = view.getUint32(offset, true) + view.getInt32(offset + 4, true) * 4294967296;
  return seconds * 1000 + view.getUint32(offset + 8, true) / 1e6;
}

/** What a file of this `st_mode` type is, in words. */
function specialKind(type: number): string {
  switch (type) {
    case 0o010000:
      return "a FIFO";
    case 0o140000:
      return "a socket";
    case 0o020000:
    case 0o060000:
      return "a device";
    default:
      return "not a regular file";
  }
}

let clockGettime: ((id: number, out: Uint8Array) => number) | null | undefined;
const clockOut = new Uint8Array(16);

/**
 * The clock the kernel stamps file times with (`CLOCK_REALTIME_COARSE` on
 * Linux, through FFI), in milliseconds: a file whose nanosecond times are
 * below it cannot be changed again without its times moving. Undefined where
 * that clock cannot be read.
 * @returns The time, or undefined.
 *
 * @example
 * ```ts
 * import { fileClock } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const now = fileClock();
 * assert.ok(now === undefined || Math.abs(now - Date.now()) < 1000);
 * ```
 */
export function fileClock(): number | undefined {
  if (clockGettime === undefined) {
    clockGettime = null;
    if (
      Deno.build.os === "linux" && (Deno.build.arch === "x86_64" || Deno.build.arch === "aarch64")
    ) {
      try {
        const lib = Deno.dlopen("libc.so.6", {
          clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
        });
        clockGettime = lib.symbols.clock_gettime;
      } catch {
        // No FFI: the tick rules apply.
      }
    }
  }
  if (clockGettime === null || clockGettime(CLOCK_REALTIME_COARSE, clockOut) !== 0) {
    return undefined;
  }
  const view = new DataView(clockOut.buffer);
  const seconds = view.getUint32(0, true) + view.getInt32(4, true) * 4294967296;
  return seconds * 1000 + view.getUint32(8, true) / 1e6;
}

const CLOCK_REALTIME_COARSE = 5;

function u64At(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 4294967296;
}
