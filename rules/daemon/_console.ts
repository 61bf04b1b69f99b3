// What a build prints on the console in a build server (build.ts at the top
// level, a function action, a memo body) goes to the client that asked for
// the build, which prints it where a build of its own would have.
//
// The console's methods are replaced: `log`, `info` and `debug` write to
// standard output, `warn`, `error` and `trace` to standard error, each
// argument formatted as `Deno.inspect` does (strings as they are), joined by
// spaces. Format directives (`%s`, `%o`) and CSS (`%c`) are not applied;
// direct writes to `Deno.stdout` are not seen.

/** Where a line of console output goes. */
export type ConsoleSink = (stream: "stdout" | "stderr", text: string) => void;

/**
 * Sends console output to `sink` until the returned function is called.
 * @param sink Receives each call's text, with its newline.
 * @returns Puts the console back as it was.
 */
export function redirectConsole(sink: ConsoleSink): () => void {
  const methods = ["log", "info", "debug", "warn", "error", "trace"] as const;
  const saved = methods.map((name) => [name, console[name]] as const);
  const writer = (stream: "stdout" | "stderr") => (...args: unknown[]) =>
    sink(stream, args.map(formatArgument).join(" ") + "\n");
  console.log = console.info = console.debug = writer("stdout");
  console.warn = console.error = console.trace = writer("stderr");
  return () => {
    for (const [name, method] of saved) console[name] = method;
  };
}

function formatArgument(value: unknown): string {
  return typeof value === "string" ? value : Deno.inspect(value, { colors: false });
}
