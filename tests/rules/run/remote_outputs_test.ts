// The record of outputs left on the remote executor: read back as written,
// a torn last line dropped, any other damage noted and every entry
// forgotten (their files are then missing, never taken for present).

import assert from "node:assert/strict";
import { join } from "node:path";
import { RemoteOutputLog } from "../../../rules/run/remote_outputs.ts";
import { REMOTE_OUTPUTS_LOG } from "../../../rules/state.ts";

const B = `r:${"ab".repeat(32)}/3`;
const C = `r:${"cd".repeat(32)}/5/x`;

async function withDir(f: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "barchan_remote_outputs_" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the remote outputs record is read back as written", async () => {
  await withDir((dir) => {
    const log = new RemoteOutputLog(dir);
    log.left("out/b.o", B);
    log.left("out/c", C);
    log.left("out/gone", B);
    log.fetched("out/c", "fast-c");
    log.forget("out/gone");
    log.setRequested("req", ["out/c"]);
    log.close();
    const notes: string[] = [];
    const again = new RemoteOutputLog(dir, { note: (m) => notes.push(m) });
    assert.deepEqual(notes, []);
    assert.equal(again.remoteOnly("out/b.o"), B);
    assert.equal(again.remoteOnly("out/c"), undefined, "fetched");
    assert.deepEqual(again.get("out/c"), { digest: C, fetched: "fast-c" });
    assert.equal(again.get("out/gone"), undefined);
    assert.deepEqual(again.requested("req"), ["out/c"]);
    assert.deepEqual(again.remotePaths(), ["out/b.o"]);
    const standIns = again.standIns("/p");
    assert.equal(standIns.absent("/p/out/b.o"), B);
    assert.equal(standIns.absent("/p/out/c"), undefined, "a fetched file deleted is missing");
    assert.equal(standIns.present("/p/out/c", "fast-c"), C, "it keeps the digest it had");
    assert.equal(standIns.present("/p/out/c", "edited"), "edited", "the disk wins");
  });
});

Deno.test("a torn last line of the remote outputs record is dropped, quietly", async () => {
  await withDir(async (dir) => {
    const log = new RemoteOutputLog(dir);
    log.left("out/b.o", B);
    log.close();
    const path = join(dir, REMOTE_OUTPUTS_LOG);
    await Deno.writeTextFile(path, `o\tout/c\t${C}\t1234`, { append: true });
    const notes: string[] = [];
    const again = new RemoteOutputLog(dir, { note: (m) => notes.push(m) });
    assert.deepEqual(notes, []);
    assert.equal(again.remoteOnly("out/b.o"), B);
    assert.equal(again.remoteOnly("out/c"), undefined);
    again.left("out/d", B);
    again.close();
    assert.equal(new RemoteOutputLog(dir).remoteOnly("out/d"), B, "appended after a whole line");
  });
});

Deno.test("a damaged remote outputs record is noted and forgotten", async () => {
  await withDir(async (dir) => {
    const log = new RemoteOutputLog(dir);
    log.left("out/b.o", B);
    log.left("out/c", C);
    log.close();
    const path = join(dir, REMOTE_OUTPUTS_LOG);
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.replace("out/b.o", "out/b.x"));
    const notes: string[] = [];
    const again = new RemoteOutputLog(dir, { note: (m) => notes.push(m) });
    assert.equal(notes.length, 1);
    assert.match(
      notes[0],
      /remote_outputs\.log is damaged \(line 2: its checksum does not match\)/,
    );
    assert.match(notes[0], /run again/);
    assert.deepEqual(again.paths(), []);
    again.close();
    const notesAfter: string[] = [];
    assert.deepEqual(new RemoteOutputLog(dir, { note: (m) => notesAfter.push(m) }).paths(), []);
    assert.deepEqual(notesAfter, [], "rewritten whole");
  });
});
