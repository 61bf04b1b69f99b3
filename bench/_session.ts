// barchan's build server kept running in a tree while the benchmark sends it
// builds (`barchan build` in the tree goes through it, as it does by
// default), with its peak memory read from /proc.

/** The environment of a `barchan build` that uses the build server, even where CI is set. */
export const SERVER_ENV: Readonly<Record<string, string>> = {
  BARCHAN_SERVER: "on",
  // It must outlive the other tools' runs, however long they take.
  BARCHAN_SERVER_IDLE: "6h",
};

/** The environment of a `barchan build` in its own process. */
export const NO_SERVER_ENV: Readonly<Record<string, string>> = { BARCHAN_SERVER: "off" };

/** The build server of a tree. */
export class BuildServerSession {
  readonly #cli: string;
  readonly #tree: string;
  readonly #jobs: number;
  #pid: number | undefined;
  readonly #env: Record<string, string>;

  /**
   * @param cli barchan's cli.ts.
   * @param tree The tree.
   * @param jobs The -j of the build that warms it.
   * @param env More of its environment (the builds sent to it must have the same action cache).
   */
  constructor(cli: string, tree: string, jobs: number, env: Record<string, string> = {}) {
    this.#cli = cli;
    this.#tree = tree;
    this.#jobs = jobs;
    this.#env = env;
  }

  /**
   * Starts the server (`barchan server start`) and sends it one build, which
   * checks the tree against the store and loads what the next builds need,
   * as the first build of a day does; throws when either fails.
   */
  async ready(): Promise<void> {
    for (const args of [["server", "start"], ["build", "-j", `${this.#jobs}`, "-q"]]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", this.#cli, ...args, "-C", this.#tree],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { ...SERVER_ENV, ...this.#env, NO_COLOR: "1" },
      }).output();
      if (!out.success) {
        throw new Error(
          `barchan ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
        );
      }
    }
    const pidFile = `${this.#tree}/_build/.barchan/server.pid`;
    this.#pid = Number(Deno.readTextFileSync(pidFile).trim());
  }

  /** The server's pid. */
  get pid(): number {
    if (this.#pid === undefined) throw new Error("The build server was not started");
    return this.#pid;
  }

  /**
   * Stops the process (SIGSTOP) while other tools are measured: its
   * collector and compiler threads finish their work on the server's own
   * time, not theirs.
   */
  pause(): void {
    Deno.kill(this.pid, "SIGSTOP");
  }

  /** Lets the process run again (SIGCONT). */
  resume(): void {
    Deno.kill(this.pid, "SIGCONT");
  }

  /**
   * Waits long enough for the server to finish what it does after a build
   * (settling files, verifying ahead).
   */
  async idle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }

  /** Resets the peak resident memory the kernel keeps for the server. */
  resetPeak(): void {
    Deno.writeTextFileSync(`/proc/${this.pid}/clear_refs`, "5");
  }

  /** @returns The server's peak resident memory since the last reset, in kilobytes. */
  peakKb(): number {
    const status = Deno.readTextFileSync(`/proc/${this.pid}/status`);
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  }

  /** @returns The server's resident memory now, in kilobytes. */
  rssKb(): number {
    const status = Deno.readTextFileSync(`/proc/${this.pid}/status`);
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  }

  /** Stops the server (`barchan server stop`). */
  async stop(): Promise<void> {
    if (this.#pid === undefined) return;
    try {
      this.resume();
    } catch {
      return; // gone already
    }
    await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", this.#cli, "server", "stop", "-C", this.#tree],
      stdout: "null",
      stderr: "null",
    }).output();
  }
}
