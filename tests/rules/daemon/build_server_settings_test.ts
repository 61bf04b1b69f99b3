// A build through the build server is done as the flags and the environment
// of its client say, as a build in its own process would be: the type check
// of build.ts, and the action cache (a build asking for another gets a
// server of its own).

import assert from "node:assert/strict";
import { join } from "node:path";
import { IMPORT, readMaybe } from "../_util.ts";
import { serverBuild, serverCli, serverPid, withServerProject } from "./_server.ts";

Deno.test("build server: a build type-checks build.ts as a build of its own does; --no-check does not", async () => {
  await withServerProject({
    "build.ts": IMPORT +
      `const text: number = "built";\nrule({ targets: "out.txt", action: write("out.txt", String(text)) });\n`,
  }, async (root) => {
    const checked = await serverCli(root, ["build"], { BARCHAN_CHECK: "on" });
    assert.equal(checked.code, 1);
    assert.match(
      checked.stderr,
      /build\.ts: does not type-check .*\n {2}build\.ts:2:7: Type 'string' is not assignable to type 'number'\. \(TS2322\)/,
    );
    const pid = await serverPid(root);
    assert.notEqual(pid, undefined);
    const skipped = await serverCli(root, ["build", "--no-check"], { BARCHAN_CHECK: "on" });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(await readMaybe(root, "out.txt"), "built");
    assert.equal(await serverPid(root), pid, "the same server built both");
  });
});

Deno.test("build server: a build asking for another action cache gets a server of its own", async () => {
  await withServerProject({
    "build.ts": IMPORT +
      `rule({ targets: "out.txt", deps: ["in.txt"], action: sh("cp in.txt out.txt") });\n`,
    "in.txt": "1\n",
  }, async (root) => {
    await serverBuild(root);
    const cached = await serverPid(root);
    // Built before with the cache: restored from it, were it used.
    await Deno.writeTextFile(join(root, "in.txt"), "2\n");
    await serverBuild(root);
    await Deno.writeTextFile(join(root, "in.txt"), "1\n");
    const uncached = await serverBuild(root, ["--no-cache"]);
    assert.match(uncached.stderr, /Done: 1 action ran in/);
    const other = await serverPid(root);
    assert.notEqual(other, undefined);
    assert.notEqual(other, cached);
    await Deno.writeTextFile(join(root, "in.txt"), "2\n");
    assert.match((await serverBuild(root, ["--no-cache"])).stderr, /Done: 1 action ran in/);
    assert.equal(await serverPid(root), other, "the same settings, the same server");
    await Deno.writeTextFile(join(root, "in.txt"), "1\n");
    assert.match((await serverBuild(root)).stderr, /Done: 0 actions ran, 1 restored from cache/);
    assert.notEqual(await serverPid(root), other);
    assert.equal(await readMaybe(root, "out.txt"), "1\n");
  });
});
