import assert from "node:assert/strict";
import { join } from "node:path";
import { watch, type WatchBatch, type Watcher } from "../../fiber/watcher.ts";

/** Generous bound on waiting for events; never a timing assertion. */
const EVENT_TIMEOUT_MS = 10_000;

/** Collects batches until `done` holds for the union of their paths. */
async function collectUntil(
  watcher: Watcher,
  done: (seen: Set<string>) => boolean,
): Promise<WatchBatch[]> {
  const iterator = watcher[Symbol.asyncIterator]();
  const batches: WatchBatch[] = [];
  const seen = new Set<string>();
  while (!done(seen)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No batch within ${EVENT_TIMEOUT_MS} ms; seen: ${[...seen]}`)),
        EVENT_TIMEOUT_MS,
      );
    });
    try {
      const result = await Promise.race([iterator.next(), timeout]);
      if (result.done) throw new Error("Watcher ended before the expected paths were seen");
      batches.push(result.value);
      for (const path of result.value.paths) seen.add(path);
    } finally {
      clearTimeout(timer);
    }
  }
  return batches;
}

function union(batches: WatchBatch[]): Set<string> {
  return new Set(batches.flatMap((batch) => batch.paths));
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "barchan_watch_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("watch() reports a created file as created", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir]);
    const file = join(dir, "new.txt");
    await Deno.writeTextFile(file, "hello");
    const batches = await collectUntil(watcher, (seen) => seen.has(file));
    const last = batches.findLast((batch) => batch.paths.includes(file))!;
    assert.equal(last.kinds[file], "create");
  });
});

Deno.test("watch() reports what a new directory held before the system watched it", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir], { ignore: ["skip/"] });
    // mkdir -p: the kernel tells of "a" only; "b", "c" and the files were made
    // before anything watched "a".
    Deno.mkdirSync(join(dir, "a", "b", "c", "skip"), { recursive: true });
    const files = ["a/top.txt", "a/b/c/deep.txt", "a/b/c/skip/no.txt"].map((f) => join(dir, f));
    for (const file of files) Deno.writeTextFileSync(file, "x");
    const wanted = [join(dir, "a", "b"), join(dir, "a", "b", "c"), files[0], files[1]];
    const batches = await collectUntil(watcher, (seen) => wanted.every((p) => seen.has(p)));
    const seen = union(batches);
    assert.ok(!seen.has(files[2]), "ignored paths stay ignored");
    const last = batches.findLast((batch) => batch.paths.includes(files[1]))!;
    assert.equal(last.kinds[files[1]], "create");
  });
});

Deno.test("watch() reports a write to an existing file as modified", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "old.txt");
    await Deno.writeTextFile(file, "one");
    await using watcher = watch([dir]);
    await Deno.writeTextFile(file, "two", { append: true });
    const batches = await collectUntil(watcher, (seen) => seen.has(file));
    assert.equal(batches.at(-1)!.kinds[file], "modify");
  });
});

Deno.test("watch() reports a deleted file as removed", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "gone.txt");
    await Deno.writeTextFile(file, "bye");
    await using watcher = watch([dir]);
    await Deno.remove(file);
    const batches = await collectUntil(watcher, (seen) => seen.has(file));
    assert.equal(batches.at(-1)!.kinds[file], "remove");
  });
});

Deno.test("watch() reports both the old and the new path of a rename", async () => {
  await withTempDir(async (dir) => {
    const from = join(dir, "from.txt");
    const to = join(dir, "to.txt");
    await Deno.writeTextFile(from, "x");
    await using watcher = watch([dir]);
    await Deno.rename(from, to);
    const batches = await collectUntil(watcher, (seen) => seen.has(from) && seen.has(to));
    const kinds = Object.assign({}, ...batches.map((batch) => batch.kinds));
    assert.equal(kinds[from], "remove");
    assert.equal(kinds[to], "create");
  });
});

Deno.test("watch() reports files in subdirectories created after it started", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir]);
    await Deno.mkdir(join(dir, "a", "b"), { recursive: true });
    const file = join(dir, "a", "b", "deep.txt");
    // The new directories may be picked up after their first events.
    for (let i = 0; i < 50; i++) {
      await Deno.writeTextFile(file, `${i}`);
      const batches = await collectUntil(watcher, (seen) => seen.size > 0);
      if (union(batches).has(file)) return;
    }
    assert.fail(`Never saw ${file}`);
  });
});

Deno.test("watch() yields sorted, unique, absolute paths", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir], { debounceMs: 200 });
    for (const name of ["c", "a", "b", "a", "c"]) {
      await Deno.writeTextFile(join(dir, name), name, { append: true });
    }
    const files = ["a", "b", "c"].map((name) => join(dir, name));
    const batches = await collectUntil(watcher, (seen) => files.every((f) => seen.has(f)));
    for (const batch of batches) {
      assert.deepEqual(batch.paths, [...new Set(batch.paths)].sort());
      assert.ok(batch.paths.every((path) => path.startsWith(dir + "/")), String(batch.paths));
      assert.deepEqual(Object.keys(batch.kinds).sort(), batch.paths);
    }
  });
});

Deno.test("watch() coalesces 100 rapid writes into a few batches", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir]);
    const file = join(dir, "hot.txt");
    for (let i = 0; i < 100; i++) await Deno.writeTextFile(file, `${i}\n`, { append: true });
    const sentinel = join(dir, "sentinel.txt");
    await Deno.writeTextFile(sentinel, "");
    const batches = await collectUntil(watcher, (seen) => seen.has(sentinel));
    assert.ok(batches.length <= 10, `${batches.length} batches`);
    assert.ok(union(batches).has(file));
    assert.equal(await Deno.readTextFile(file).then((text) => text.split("\n").length), 101);
  });
});

Deno.test("watch() never reports ignored paths", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir], { ignore: ["_build/", "out/gen", /\.log$/] });
    await Deno.mkdir(join(dir, "_build"));
    await Deno.writeTextFile(join(dir, "_build", "a.o"), "");
    await Deno.mkdir(join(dir, "src", "_build"), { recursive: true });
    await Deno.writeTextFile(join(dir, "src", "_build", "b.o"), "");
    await Deno.mkdir(join(dir, "out", "gen"), { recursive: true });
    await Deno.writeTextFile(join(dir, "out", "gen", "c.ts"), "");
    await Deno.writeTextFile(join(dir, "build.log"), "");
    await Deno.mkdir(join(dir, ".git"));
    await Deno.writeTextFile(join(dir, ".git", "HEAD"), "");
    await Deno.writeTextFile(join(dir, ".main.ts.swp"), "");
    const kept = join(dir, "src", "main.ts");
    await Deno.writeTextFile(kept, "");
    const batches = await collectUntil(watcher, (seen) => seen.has(kept));
    const seen = [...union(batches)].map((path) => path.slice(dir.length + 1));
    const leaked = seen.filter((path) =>
      /(^|\/)_build(\/|$)|^out\/gen|\.log$|(^|\/)\.git(\/|$)|\.swp$/.test(path)
    );
    assert.deepEqual(leaked, []);
  });
});

Deno.test("watch() reports a write-to-temp-then-rename as the destination", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "main.c");
    await Deno.writeTextFile(file, "int main;");
    await using watcher = watch([dir]);
    const temp = join(dir, "main.c.tmp4821");
    await Deno.writeTextFile(temp, "int main(void) { return 0; }");
    await Deno.rename(temp, file);
    const batches = await collectUntil(watcher, (seen) => seen.has(file));
    assert.deepEqual([...union(batches)], [file]);
    assert.equal(batches.at(-1)!.kinds[file], "create");
  });
});

Deno.test("watch() reports a vim-style save as the edited file only", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "notes.md");
    await Deno.writeTextFile(file, "one");
    await using watcher = watch([dir], { debounceMs: 100 });
    // Probe the directory, back up by renaming, write anew, drop the backup.
    await Deno.writeTextFile(join(dir, "4913"), "");
    await Deno.remove(join(dir, "4913"));
    await Deno.rename(file, `${file}~`);
    await Deno.writeTextFile(file, "two");
    await Deno.remove(`${file}~`);
    const batches = await collectUntil(watcher, (seen) => seen.has(file));
    assert.deepEqual([...union(batches)], [file]);
    assert.notEqual(batches.at(-1)!.kinds[file], "remove");
  });
});

Deno.test("watch() keeps a temp-looking file that still exists", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir]);
    const file = join(dir, "data.tmp");
    await Deno.writeTextFile(file, "kept");
    const batches = await collectUntil(watcher, (seen) => seen.has(file));
    assert.ok(union(batches).has(file));
  });
});

Deno.test("watch() ends the iteration on close()", async () => {
  await withTempDir(async (dir) => {
    const watcher = watch([dir]);
    const batches: WatchBatch[] = [];
    const loop = (async () => {
      for await (const batch of watcher) batches.push(batch);
    })();
    await watcher.close();
    await loop;
    assert.deepEqual(batches, []);
    // Closing twice is harmless.
    await watcher.close();
  });
});

Deno.test("watch() closes when its signal aborts", async () => {
  await withTempDir(async (dir) => {
    const controller = new AbortController();
    const watcher = watch([dir], { signal: controller.signal });
    const loop = (async () => {
      let count = 0;
      for await (const _ of watcher) count++;
      return count;
    })();
    controller.abort();
    assert.equal(await loop, 0);
    await watcher.close();
  });
});

Deno.test("watch() throws a clear error for a missing root", () => {
  assert.throws(
    () => watch(["/nonexistent/barchan/root"]),
    (error: Error) =>
      error instanceof Deno.errors.NotFound &&
      error.message === 'Cannot watch "/nonexistent/barchan/root": no such file or directory',
  );
});

/** Takes batches until every mark in `marks` has been reached. */
async function untilMarks(watcher: Watcher, marks: number[]): Promise<WatchBatch[]> {
  const iterator = watcher[Symbol.asyncIterator]();
  const waiting = new Set(marks);
  const batches: WatchBatch[] = [];
  while (waiting.size > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Marks ${[...waiting]} never came`)),
        EVENT_TIMEOUT_MS,
      );
    });
    try {
      const { value, done } = await Promise.race([iterator.next(), timeout]);
      assert.equal(done, false);
      batches.push(value!);
      for (const mark of value!.marks ?? []) waiting.delete(mark);
    } finally {
      clearTimeout(timer);
    }
  }
  return batches;
}

Deno.test("mark(): the batch carrying a mark holds every change made before it, without waiting for quiet", async () => {
  await withTempDir(async (dir) => {
    // A quiet period longer than the wait of collectUntil: only the mark flushes.
    await using watcher = watch([dir], { debounceMs: 60_000, maxWaitMs: 60_000 });
    const files = [join(dir, "a.txt"), join(dir, "b.txt")];
    for (const file of files) Deno.writeTextFileSync(file, "x");
    // No event can have been handled yet: nothing awaited since the writes.
    const mark = watcher.mark();
    const seen = (await untilMarks(watcher, [mark])).flatMap((batch) => batch.paths);
    assert.deepEqual(seen, files);
  });
});

Deno.test("mark(): mark files never show in batches, even where changes are reported", async () => {
  await withTempDir(async (dir) => {
    await using watcher = watch([dir], { debounceMs: 5 });
    const before = join(dir, "before.txt");
    Deno.writeTextFileSync(before, "x");
    const marks = [watcher.mark(), watcher.mark()];
    const batches = await untilMarks(watcher, marks);
    const file = join(dir, "after.txt");
    Deno.writeTextFileSync(file, "x");
    batches.push(...await collectUntil(watcher, (seen) => seen.has(file)));
    assert.deepEqual(batches.flatMap((b) => b.paths), [before, file]);
    assert.deepEqual(batches.flatMap((b) => b.marks ?? []), marks);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "after.txt",
      "before.txt",
    ]);
  });
});

Deno.test("mark(): a mark that does not come back in time arrives with rescan", async () => {
  await withTempDir(async (dir) => {
    const elsewhere = await Deno.makeTempDir({ prefix: "barchan_mark_" });
    try {
      await using watcher = watch([join(dir)], { markDir: elsewhere, markTimeoutMs: 50 });
      const mark = watcher.mark();
      const [batch] = await untilMarks(watcher, [mark]);
      assert.deepEqual(batch.marks, [mark]);
      assert.equal(batch.rescan, true);
      assert.deepEqual([...Deno.readDirSync(elsewhere)], []);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  });
});
