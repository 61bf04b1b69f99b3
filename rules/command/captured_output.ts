/**
 * A command's output, captured with bounded memory: up to a limit it is
 * kept in memory; past it, everything goes to a file (the head and the tail
 * stay in memory, for display), so an action printing 100 MB costs a file,
 * not 100 MB of memory per copy. The whole text is read back only when
 * asked for.
 *
 * @module
 */
import { dirname } from "node:path";

/** Options of {@linkcode CapturedOutput}. */
export interface CapturedOutputOptions {
  /**
   * Bytes kept in memory; past them output spills to `spillPath`, keeping
   * half of this as head and half as tail for display.
   * @default {1048576}
   */
  limit?: number;
  /**
   * The file output spills to. Without one, the middle of a long output is
   * dropped (display only).
   * @default undefined
   */
  spillPath?: string;
}

const decoder = new TextDecoder();

/**
 * Captured output.
 *
 * @example Past the limit, the middle is only in the file
 * ```ts
 * import { CapturedOutput } from "./captured_output.ts";
 * import assert from "node:assert/strict";
 *
 * const spillPath = await Deno.makeTempFile();
 * const out = new CapturedOutput({ limit: 8, spillPath });
 * for (const part of ["0123", "4567", "89ab", "cdef"]) out.push(new TextEncoder().encode(part));
 * assert.equal(out.size, 16);
 * assert.equal(out.text(), "0123456789abcdef");
 * assert.match(out.display(), /^0123\n… 8 bytes not shown: the whole output is in .*\n… cdef$/);
 * ```
 */
export class CapturedOutput {
  readonly #limit: number;
  readonly #spillPath: string | undefined;
  #head: Uint8Array[] = [];
  #headSize = 0;
  #tail: Uint8Array[] = [];
  #tailSize = 0;
  #size = 0;
  #spill: Deno.FsFile | undefined;
  #spilled = false;

  constructor(options: CapturedOutputOptions = {}) {
    this.#limit = options.limit ?? 1 << 20;
    this.#spillPath = options.spillPath;
  }

  /** Bytes captured. */
  get size(): number {
    return this.#size;
  }

  /** Where the whole output is, when it spilled. */
  get spillPath(): string | undefined {
    return this.#spilled ? this.#spillPath : undefined;
  }

  /**
   * Adds a chunk; it is kept as given (not copied).
   * @param chunk The bytes.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#size += chunk.length;
    if (!this.#spilled && this.#size <= this.#limit) {
      this.#head.push(chunk);
      this.#headSize += chunk.length;
      return;
    }
    if (!this.#spilled) this.#startSpill();
    if (this.#spill !== undefined) writeAll(this.#spill, chunk);
    this.#tail.push(chunk);
    this.#tailSize += chunk.length;
    const keep = this.#limit >> 1;
    while (this.#tail.length > 1 && this.#tailSize - this.#tail[0].length >= keep) {
      this.#tailSize -= this.#tail.shift()!.length;
    }
  }

  /**
   * Closes the spill file, if any.
   */
  close(): void {
    this.#spill?.close();
    this.#spill = undefined;
  }

  /**
   * All the bytes: from memory, or read back from the spill file.
   * @returns The output.
   */
  bytes(): Uint8Array {
    if (this.#spilled && this.#spillPath !== undefined) {
      this.#spill?.syncSync();
      return Deno.readFileSync(this.#spillPath);
    }
    return concat([...this.#head, ...this.#tail]);
  }

  /**
   * All the output as text.
   * @returns The text.
   */
  text(): string {
    return this.#size === 0 ? "" : decoder.decode(this.bytes());
  }

  /**
   * The output to show: all of it when it fits the limit, else its head and
   * tail around a line saying where the whole is.
   * @returns The text.
   */
  display(): string {
    if (!this.#spilled) return this.text();
    const head = decoder.decode(concat(this.#head));
    const tail = decoder.decode(concat(this.#tail));
    const hidden = this.#size - this.#headSize - this.#tailSize;
    const where = this.#spillPath === undefined
      ? "it was not kept"
      : `the whole output is in ${this.#spillPath}`;
    return `${head}\n… ${hidden} bytes not shown: ${where}\n… ${tail}`;
  }

  #startSpill(): void {
    this.#spilled = true;
    // The head stays as it is; what would have overflowed it goes to the tail.
    let keep = 0;
    const head: Uint8Array[] = [];
    for (const chunk of this.#head) {
      if (keep + chunk.length > this.#limit >> 1 && head.length > 0) {
        this.#tail.push(chunk);
        this.#tailSize += chunk.length;
      } else {
        head.push(chunk);
        keep += chunk.length;
      }
    }
    this.#head = head;
    this.#headSize = keep;
    if (this.#spillPath === undefined) return;
    Deno.mkdirSync(dirname(this.#spillPath), { recursive: true });
    this.#spill = Deno.openSync(this.#spillPath, { write: true, create: true, truncate: true });
    for (const chunk of [...this.#head, ...this.#tail]) writeAll(this.#spill, chunk);
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
