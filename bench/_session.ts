// A barchan watch session kept running in a tree while the benchmark sends
// it builds (`barchan build` in the same tree goes through it), with its
// peak memory read from /proc.

/** A `barchan build -w` process in a tree. */
export class WatchSession {
  readonly #child: Deno.ChildProcess;
  #stderr = "";
  #reading: Promise<void>;
  #grew: (() => void) | undefined;

  /**
   * Starts the session; its first build starts from where the tree stands.
   * @param cli barchan's cli.ts.
   * @param tree The tree.
   * @param jobs Its -j.
   */
  constructor(cli: string, tree: string, jobs: number) {
    const child = this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "build", "-w", "-j", `${jobs}`, "-C", tree],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.#reading = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr += chunk;
        this.#grew?.();
      }
    })();
  }

  /** Waits for the first build to end; throws when it failed or the session exited. */
  async ready(): Promise<void> {
    let ended = false;
    void this.#child.status.then(() => {
      ended = true;
      this.#grew?.();
    });
    while (!/^(Done|Failed):/m.test(this.#stderr)) {
      if (ended) throw new Error(`The watch session exited:\n${this.#stderr}`);
      await new Promise<void>((resolve) => this.#grew = resolve);
    }
    if (/^Failed:/m.test(this.#stderr)) {
      throw new Error(`The watch session's first build failed:\n${this.#stderr}`);
    }
  }

  /**
   * Stops the process (SIGSTOP) while other tools are measured: its
   * collector and compiler threads finish their work on the session's own
   * time, not theirs.
   */
  pause(): void {
    Deno.kill(this.#child.pid, "SIGSTOP");
  }

  /** Lets the process run again (SIGCONT). */
  resume(): void {
    Deno.kill(this.#child.pid, "SIGCONT");
  }

  /**
   * Waits long enough for the session to become idle: it collects garbage a
   * second after its last build.
   */
  async idle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }

  /** Resets the peak resident memory the kernel keeps for the session. */
  resetPeak(): void {
    Deno.writeTextFileSync(`/proc/${this.#child.pid}/clear_refs`, "5");
  }

  /** @returns The session's peak resident memory since the last reset, in kilobytes. */
  peakKb(): number {
    const status = Deno.readTextFileSync(`/proc/${this.#child.pid}/status`);
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  }

  /** Stops the session. */
  async stop(): Promise<void> {
    try {
      this.resume();
      this.#child.kill("SIGINT");
    } catch {
      // already gone
    }
    await this.#child.status;
    await this.#reading;
  }
}
