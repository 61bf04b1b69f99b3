// `clean` deletes only files whose content is what barchan wrote, and only
// inside the project: not a file someone wrote where a killed build had
// claimed the path, not a path with `..` or an absolute one in a shipped
// outputs.log, not a file reached through a symbolic link to elsewhere.

import assert from "node:assert/strict";
import { join } from "node:path";
import { digestOfFile } from "../../../memo/mod.ts";
import { summedLine } from "../../../rules/run/_line_sum.ts";
import { awaitProcesses, uniqueSleep } from "../../fiber/_processes.ts";
import { CLI, cli, IMPORT, NO_SERVER, readMaybe, withProject } from "../_util.ts";
import { ownCacheEnv } from "../../_own_cache.ts";

const LOG = "_build/.barchan/outputs.log";

/** An outputs.log holding `entries` (fields without the checksum), each line checksummed. */
function outputsLog(entries: string[][]): string {
  return "barchan outputs 2\n" + entries.map((fields) => summedLine(fields.join("\t"))).join("");
}

Deno.test("clean keeps a file written by hand where a killed build had claimed the path", async () => {
  const sleep = uniqueSleep();
  await withProject({
    "build.ts": IMPORT + `
rule({ targets: "done.txt", action: write("done.txt", "built") });
rule({ targets: "notes.txt", deps: ["done.txt"], action: sh("sleep ${sleep}; echo built > notes.txt") });
`,
  }, async (root) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "build", "notes.txt"],
      cwd: root,
      env: { ...NO_SERVER, ...ownCacheEnv() },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const sleeping = await awaitProcesses(`sleep ${sleep}`, 1);
    child.kill("SIGKILL");
    await child.status;
    for (const pid of sleeping) Deno.kill(Number(pid), "SIGKILL");
    assert.match(await Deno.readTextFile(join(root, LOG)), /^c\tnotes\.txt\t/m);
    await Deno.writeTextFile(join(root, "notes.txt"), "my notes");

    const cleaned = await cli(root, "clean");
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.match(cleaned.stderr, /Kept notes\.txt: its content is not what barchan wrote there/);
    assert.equal(await readMaybe(root, "notes.txt"), "my notes");
    assert.equal(await readMaybe(root, "done.txt"), undefined, "what barchan wrote is removed");
  });
});

Deno.test("clean never deletes outside the project, whatever a shipped outputs.log says", async () => {
  await withProject({
    "project/build.ts": IMPORT +
      `rule({ targets: "out/a.txt", action: write("out/a.txt", "a") });\n`,
    "victim.txt": "precious",
    "elsewhere/victim.txt": "precious too",
  }, async (top) => {
    const root = join(top, "project");
    assert.equal((await cli(root, "build")).code, 0);
    await Deno.symlink(join(top, "elsewhere"), join(root, "linked"));
    const victim = digestOfFile(join(top, "victim.txt"));
    const linked = digestOfFile(join(top, "elsewhere/victim.txt"));
    await Deno.writeTextFile(
      join(root, LOG),
      outputsLog([
        ["w", "out/a.txt", digestOfFile(join(root, "out/a.txt"))],
        ["w", "../victim.txt", victim],
        ["w", join(top, "victim.txt"), victim],
        ["w", "linked/victim.txt", linked],
        ["w", "linked", linked],
      ]),
    );
    const cleaned = await cli(root, "clean");
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.equal(await readMaybe(top, "victim.txt"), "precious");
    assert.equal(await readMaybe(top, "elsewhere/victim.txt"), "precious too");
    assert.ok(Deno.lstatSync(join(root, "linked")).isSymlink, "the link itself is kept");
    assert.equal(await readMaybe(root, "out/a.txt"), undefined);
    assert.match(cleaned.stderr, /^Kept \.\.\/victim\.txt: it is not inside the project$/m);
    assert.match(cleaned.stderr, /^Kept linked\/victim\.txt: it is not inside the project$/m);
  });
});

Deno.test("clean keeps a file reached through a link out of the project even when its content matches", async () => {
  await withProject({
    "project/build.ts": IMPORT +
      `rule({ targets: "out/a.txt", action: write("out/a.txt", "a") });\n`,
    "elsewhere/a.txt": "a",
  }, async (top) => {
    const root = join(top, "project");
    assert.equal((await cli(root, "build")).code, 0);
    // out/ replaced by a link to a directory outside holding the same content.
    await Deno.remove(join(root, "out"), { recursive: true });
    await Deno.symlink(join(top, "elsewhere"), join(root, "out"));
    const cleaned = await cli(root, "clean");
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.match(cleaned.stderr, /Kept out\/a\.txt: it is not inside the project/);
    assert.equal(await readMaybe(top, "elsewhere/a.txt"), "a");
    assert.ok(Deno.lstatSync(join(root, "out")).isSymlink);
  });
});

Deno.test("a build never deletes a file outside the project that outputs.log names as a stale output", async () => {
  await withProject({
    "project/build.ts": IMPORT +
      `rule({ targets: "out/a.txt", action: write("out/a.txt", "a") });\n`,
    "victim.txt": "precious",
  }, async (top) => {
    const root = join(top, "project");
    assert.equal((await cli(root, "build")).code, 0);
    await Deno.writeTextFile(
      join(root, LOG),
      outputsLog([
        ["w", "out/a.txt", digestOfFile(join(root, "out/a.txt"))],
        ["w", "../victim.txt", digestOfFile(join(top, "victim.txt"))],
      ]),
    );
    await Deno.writeTextFile(
      join(root, "build.ts"),
      IMPORT + `rule({ targets: "out/b.txt", action: write("out/b.txt", "b") });\n`,
    );
    const built = await cli(root, "build");
    assert.equal(built.code, 0, built.stderr);
    assert.equal(await readMaybe(top, "victim.txt"), "precious");
    assert.equal(await readMaybe(root, "out/a.txt"), undefined, "its own stale output is deleted");
  });
});
