// File helpers without node:path or node:fs, whose first import costs tens
// of milliseconds under Deno.

/** The directory part of a path ("." for a bare name). */
export function parentDir(path: string): string {
  const at = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return at < 0 ? "." : at === 0 ? path.slice(0, 1) : path.slice(0, at);
}

/** A fresh name beside `path` for a file that will be renamed over it. */
export function tempBeside(path: string): string {
  return `${path}.${crypto.randomUUID().slice(0, 8)}.part`;
}

/** Writes `data` to `path` through a temporary file and a rename; parents created. */
export async function writeFileWhole(path: string, data: Uint8Array): Promise<void> {
  await Deno.mkdir(parentDir(path), { recursive: true });
  const temp = tempBeside(path);
  try {
    await Deno.writeFile(temp, data);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
