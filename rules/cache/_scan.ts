// Scanning the local cache's entries, and evicting the least recently used.

import { removeQuietly } from "./_files.ts";

/** One file in `ac/` or `cas/`. */
export interface ScannedEntry {
  path: string;
  kind: "ac" | "cas";
  size: number;
  /** When the entry was last written or used, in ms since the epoch. */
  usedMs: number;
}

const STAT_CONCURRENCY = 16;

/** Every entry under `dir/ac` and `dir/cas`; files that vanish meanwhile are skipped. */
export async function scanEntries(dir: string): Promise<ScannedEntry[]> {
  const paths: { path: string; kind: "ac" | "cas" }[] = [];
  for (const kind of ["ac", "cas"] as const) {
    for (const shard of await _listDir(`${dir}/${kind}`)) {
      if (!shard.isDirectory) continue;
      const shardDir = `${dir}/${kind}/${shard.name}`;
      for (const entry of await _listDir(shardDir)) {
        if (entry.isFile) paths.push({ path: `${shardDir}/${entry.name}`, kind });
      }
    }
  }
  const entries: ScannedEntry[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const { path, kind } = paths[next++];
      try {
        const info = await Deno.lstat(path);
        entries.push({ path, kind, size: info.size, usedMs: info.mtime?.getTime() ?? 0 });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }
  await Promise.all(Array.from({ length: STAT_CONCURRENCY }, worker));
  return entries;
}

async function _listDir(dir: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return entries;
}

/** What an eviction removed and what is left. */
export interface Eviction {
  removedEntries: number;
  removedBytes: number;
  entries: number;
  bytes: number;
}

/**
 * When the entries hold more than `maxBytes`, removes the least recently used
 * until at most `targetBytes` remain (ties broken by path, so the order is
 * deterministic).
 */
export async function evictOldest(
  entries: ScannedEntry[],
  maxBytes: number,
  targetBytes: number = maxBytes,
): Promise<Eviction> {
  let bytes = entries.reduce((sum, entry) => sum + entry.size, 0);
  let removedEntries = 0;
  let removedBytes = 0;
  if (bytes > maxBytes) {
    entries.sort((a, b) => a.usedMs - b.usedMs || (a.path < b.path ? -1 : 1));
    for (const entry of entries) {
      if (bytes <= targetBytes) break;
      await removeQuietly(entry.path);
      bytes -= entry.size;
      removedEntries++;
      removedBytes += entry.size;
    }
  }
  return { removedEntries, removedBytes, entries: entries.length - removedEntries, bytes };
}

/** Removes temporary files older than `ageMs` (left by a process that died mid-write). */
export async function removeStaleTemps(
  tmpDir: string,
  nowMs: number,
  ageMs: number,
): Promise<void> {
  for (const entry of await _listDir(tmpDir)) {
    const path = `${tmpDir}/${entry.name}`;
    try {
      const info = await Deno.lstat(path);
      if (nowMs - (info.mtime?.getTime() ?? 0) > ageMs) await removeQuietly(path);
    } catch {
      // Renamed into place meanwhile.
    }
  }
}
