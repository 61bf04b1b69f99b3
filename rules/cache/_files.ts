// File helpers of the caches: temporary names, rename into place, copies that
// hash what they copy.

import { createDigester, type Digest, sha256Digest } from "../reapi/digest.ts";

let counter = 0;

/** A name no other writer uses, for a temporary file beside `path`. */
export function tempBeside(path: string): string {
  return `${path}.${_unique()}.tmp`;
}

/** A name no other writer uses, for a temporary file in `dir`. */
export function tempIn(dir: string): string {
  return `${dir}/${_unique()}`;
}

function _unique(): string {
  counter = (counter + 1) % 0x7fffffff;
  const random = Math.floor(Math.random() * 0xffffffff).toString(36);
  return `${Deno.pid}-${counter}-${random}`;
}

/** The directory part of a path ("." for a bare name). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Renames `from` to `to`, creating `to`'s directory when it is missing;
 * synchronous, as the small files a build stores by the thousand are.
 */
export function renameIntoSync(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.mkdirSync(parentOf(to), { recursive: true });
    Deno.renameSync(from, to);
  }
}

export async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // Nothing to clean up, or nothing we could do about it.
  }
}

/** Writes `bytes` to a new file at `path` (which must not exist yet), all of them. */
export async function writeNew(path: string, bytes: Uint8Array, mode = 0o644): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true, mode });
  await writeAll(file, bytes);
}

/** Writes every byte, looping over short writes. */
/** {@linkcode writeNew} with synchronous calls. */
export function writeNewSync(path: string, bytes: Uint8Array, mode = 0o644): void {
  using file = Deno.openSync(path, { write: true, createNew: true, mode });
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

const CHUNK = 1 << 20;

/**
 * Copies an open file to a new file `to` while hashing it: one read of the
 * source. Small files are read whole.
 *
 * @returns The digest of what was copied.
 */
export async function copyHashing(source: Deno.FsFile, to: string): Promise<Digest> {
  const size = (await source.stat()).size;
  if (size <= CHUNK) {
    const bytes = new Uint8Array(size);
    let filled = 0;
    for (;;) {
      // Read until EOF: the file may have grown since the stat.
      if (filled === bytes.length) break;
      const n = await source.read(bytes.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    const extra = await source.read(new Uint8Array(1));
    if (extra === null) {
      const content = bytes.subarray(0, filled);
      await writeNew(to, content);
      return await sha256Digest(content);
    }
    // It grew: fall through to the streaming copy from the start.
    await source.seek(0, Deno.SeekMode.Start);
  }
  using target = await Deno.open(to, { write: true, createNew: true, mode: 0o644 });
  const digester = await createDigester();
  const buffer = new Uint8Array(CHUNK);
  for (;;) {
    const n = await source.read(buffer);
    if (n === null) break;
    const chunk = buffer.subarray(0, n);
    digester.update(chunk);
    await writeAll(target, chunk);
  }
  return digester.digest();
}

/** The code of an OS error (`EXDEV`, `ENOSPC`...), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}
