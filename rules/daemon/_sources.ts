// Whether barchan's own files changed since this process loaded them: a build
// server started from a checkout of barchan must not go on serving builds
// with code its checkout no longer has. Installed from a registry, a version
// never changes under its URL, and there is nothing to look at.

import { type PathStat, statPath } from "../../memo/mod.ts";

/** The folders and files barchan's code is in, relative to its root. */
const PARTS = ["cli", "fiber", "memo", "rules", "cli.ts", "mod.ts", "deno.json"];

/** barchan's files as this process found them, to tell later whether one changed. */
export class SourceFiles {
  /** Each file, with its stat fields as found. */
  #files: [path: string, stamp: string][] = [];

  /**
   * Lists barchan's files and their stat fields, when it runs from files on
   * disk.
   * @param root barchan's root, as a URL.
   */
  constructor(root: URL = new URL("../../", import.meta.url)) {
    if (root.protocol !== "file:") return;
    const dir = decodeURIComponent(root.pathname);
    const stack = PARTS.map((part) => `${dir}${part}`);
    while (stack.length > 0) {
      const path = stack.pop()!;
      const info = statPath(path);
      if (info === null) continue;
      if (info.isDirectory) {
        for (const entry of Deno.readDirSync(path)) stack.push(`${path}/${entry.name}`);
      } else if (/\.(ts|json)$/.test(path)) {
        this.#files.push([path, stampOf(info)]);
      }
    }
  }

  /** How many files are looked at. */
  get size(): number {
    return this.#files.length;
  }

  /**
   * The first file whose stat fields moved since the listing (or that went).
   * @returns Its path, or undefined when none did.
   */
  changed(): string | undefined {
    for (const [path, stamp] of this.#files) {
      const info = statPath(path);
      if (info === null || stampOf(info) !== stamp) return path;
    }
    return undefined;
  }
}

function stampOf(info: PathStat): string {
  return `${info.mtime} ${info.ctime} ${info.size} ${info.ino}`;
}
