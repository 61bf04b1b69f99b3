// One command of a benchmark, timed from spawn to exit; a failure throws with what it printed.

/** What a timed command took and printed. */
export interface Timed {
  /** Wall-clock milliseconds, spawn to exit. */
  ms: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/** Runs `cmd` in `cwd` with `env` added to the environment; throws when it fails. */
export async function timed(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Timed> {
  const start = performance.now();
  const out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const ms = performance.now() - start;
  const decoder = new TextDecoder();
  const stderr = decoder.decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${stderr}`);
  return { ms, stdout: decoder.decode(out.stdout), stderr };
}
