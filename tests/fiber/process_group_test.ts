import assert from "node:assert/strict";
import { groupCommand, killGroup } from "../../fiber/_process_group.ts";

for (const viaSetsid of [true, false]) {
  const how = viaSetsid ? "through setsid" : "with detached: true";

  Deno.test(`groupCommand() ${how} makes the program lead its own session`, async () => {
    const command = groupCommand("/bin/sh", ["-c", "echo $$; ps -o pgid=,sid= -p $$"], {
      stdout: "piped",
    }, viaSetsid);
    const child = command.spawn();
    const [pid, ids] = new TextDecoder().decode((await child.output()).stdout).split("\n");
    assert.equal(Number(pid), child.pid);
    assert.deepEqual(ids!.trim().split(/\s+/).map(Number), [child.pid, child.pid]);
  });

  Deno.test(`killGroup() ${how} reaches the program's own children`, async () => {
    const marker = `100.${Math.floor(Math.random() * 1e9)}`;
    const child = groupCommand("/bin/sh", ["-c", `echo up; sleep ${marker}; true`], {
      stdout: "piped",
    }, viaSetsid).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    killGroup(child, "SIGKILL", true);
    assert.equal((await child.status).signal, "SIGKILL");
    reader.releaseLock();
    await child.stdout.cancel();
    const deadline = Date.now() + 5_000;
    let left: string;
    do {
      const out = await new Deno.Command("pgrep", { args: ["-f", `sleep ${marker}`] }).output();
      left = new TextDecoder().decode(out.stdout).trim();
    } while (left !== "" && Date.now() < deadline);
    assert.equal(left, "");
  });
}
