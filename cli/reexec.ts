/**
 * Starting the command afresh, for watch mode when a module build.ts
 * imports changed (the runtime evaluates a module only once).
 *
 * @module
 */

/**
 * Starts this command afresh with the same arguments and returns its exit
 * code. The new process leads its own process group, so that the terminal's
 * Ctrl-C reaches this process only, which passes SIGINT and SIGTERM on: the
 * new process sees each signal once (a second one would make it exit without
 * saving its state), and a signal sent to this process alone does not leave
 * the new one running.
 */
export async function reexec(): Promise<number> {
  const isWindows = Deno.build.os === "windows";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", Deno.mainModule, ...Deno.args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    detached: !isWindows,
  }).spawn();
  const signals: Deno.Signal[] = isWindows ? [] : ["SIGINT", "SIGTERM"];
  const forwards = signals.map((signal) => {
    const forward = () => {
      try {
        child.kill(signal);
      } catch (error) {
        if (!(error instanceof TypeError || error instanceof Deno.errors.NotFound)) throw error;
      }
    };
    Deno.addSignalListener(signal, forward);
    return () => Deno.removeSignalListener(signal, forward);
  });
  try {
    return (await child.status).code;
  } finally {
    for (const remove of forwards) remove();
  }
}
