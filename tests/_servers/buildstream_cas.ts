// BuildStream's CAS server (Debian's buildstream package), for tests of the
// REAPI ContentAddressableStorage, ByteStream and Capabilities clients.
// Started by `startBuildStreamCas()` on 127.0.0.1 at a port the kernel
// picks, over a fresh repository in a temp dir; stopped by pid.
//
// BuildStream's own `server_main` listens on every interface ([::]:PORT), so
// the server is made with its `create_server` and bound to the loopback
// address here. It serves instance "" only: its resource names have no
// instance prefix. It limits batches to 1 MiB.

/** The Python that has Debian's buildstream package. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

const _MAIN = `
import sys
from buildstream._artifactcache.casserver import create_server
server = create_server(sys.argv[1], enable_push=True, min_head_size=0, max_head_size=0)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
server.wait_for_termination()
`;

/** A running BuildStream CAS server. */
export interface BuildStreamCas {
  /** `grpc://127.0.0.1:PORT`. */
  url: string;
  /** Its process id. */
  pid: number;
  /** The directory of its repository (blobs under `cas/objects/<2 hex>/<62 hex>`). */
  repo: string;
  /** Stops the server by pid and removes its repository. */
  stop(): Promise<void>;
}

/**
 * Starts BuildStream's CAS server and waits until it accepts connections.
 * Returns `undefined`, with a note on stderr, when buildstream is not
 * installed.
 */
export async function startBuildStreamCas(): Promise<BuildStreamCas | undefined> {
  if (!await hasPythonModules(["buildstream._artifactcache.casserver", "grpc"])) {
    console.error(
      "note: skipped, BuildStream's CAS server is not installed (apt-get install buildstream)",
    );
    return undefined;
  }
  const repo = await Deno.makeTempDir({ prefix: "barchan_bst_cas_" });
  const child = new Deno.Command(SYSTEM_PYTHON, {
    args: ["-c", _MAIN, repo],
    cwd: repo,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
    await child.status;
    await Deno.remove(repo, { recursive: true });
  };
  try {
    const port = Number(await readFirstLine(child.stdout));
    if (!(port > 0)) throw new Error(`BuildStream's CAS server printed no port (${port})`);
    await waitForPort(port);
    return { url: `grpc://127.0.0.1:${port}`, pid: child.pid, repo, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Whether the system Python can import each of `modules`. */
export async function hasPythonModules(modules: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(SYSTEM_PYTHON, {
      args: ["-c", modules.map((name) => `import ${name}`).join("; ")],
      cwd: "/",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Reads the first line of a child's stdout, then keeps draining the rest in
 * the background so the child never blocks on a full pipe.
 */
export async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
  return text.split("\n")[0].trim();
}

/** Waits until 127.0.0.1:`port` accepts a TCP connection (10 s at most). */
export async function waitForPort(port: number): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (error) {
      if (Date.now() > until) {
        throw new Error(`Nothing accepted connections on 127.0.0.1:${port} within 10 s`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
