// Starts tests/_servers/test_executor.py, the REAPI server written for the
// tests (CAS, ByteStream, Capabilities, ActionCache, Execution on one port),
// on 127.0.0.1 at a port the kernel picks; stopped by pid.

import { fileURLToPath } from "node:url";
import { hasPythonModules, readFirstLine, SYSTEM_PYTHON, waitForPort } from "./buildstream_cas.ts";

/** Options of {@linkcode startTestExecutor}, mapped to the server's flags. */
export interface TestExecutorOptions {
  /** Worker threads running actions. @default 4 */
  workers?: number;
  /** Advertised and enforced max batch size. @default 1 MiB */
  maxBatchBytes?: number;
  /** The only instance name served. @default any */
  instance?: string;
  /** Fail every Execute stream with UNAVAILABLE after its first Operation. */
  dropStream?: boolean;
  /** Fail every call with this gRPC code name (e.g. "UNAVAILABLE"). */
  refuse?: string;
  /** Serve every blob with its last byte changed. */
  corruptReads?: boolean;
  /** Fail the first ByteStream Read and Write of each blob midway with UNAVAILABLE. */
  cutStreams?: boolean;
  /** `name=value` every call must carry. */
  requireHeader?: string;
  /** The tool every call's RequestMetadata must name. */
  requireTool?: string;
  /** PEM certificate and key: serve TLS. */
  tls?: { cert: string; key: string };
}

/** A running test executor. */
export interface TestExecutor {
  /** `grpc://127.0.0.1:PORT` (`grpcs://` with TLS). */
  url: string;
  /** The port. */
  port: number;
  /** Its process id. */
  pid: number;
  /** Where it keeps blobs: `cas/<sha256>` below it (removed when it stops). */
  storeDir: string;
  /** Stops it by pid. */
  stop(): Promise<void>;
}

/**
 * Starts the test executor and waits until it accepts connections; returns
 * `undefined`, with a note on stderr, when python3-grpcio or buildstream is
 * missing.
 */
export async function startTestExecutor(
  options: TestExecutorOptions = {},
): Promise<TestExecutor | undefined> {
  if (!await hasPythonModules(["grpc", "buildstream._protos.google.longrunning.operations_pb2"])) {
    console.error(
      "note: skipped, the test executor needs python3-grpcio and buildstream (apt-get install)",
    );
    return undefined;
  }
  const storeDir = await Deno.makeTempDir({ prefix: "barchan_test_executor_" });
  const args = [
    fileURLToPath(new URL("./test_executor.py", import.meta.url)),
    "--root",
    storeDir,
    "--port",
    "0",
    "--workers",
    String(options.workers ?? 4),
    "--max-batch-bytes",
    String(options.maxBatchBytes ?? 1024 * 1024),
  ];
  if (options.instance !== undefined) args.push("--instance", options.instance);
  if (options.dropStream) args.push("--drop-stream");
  if (options.refuse) args.push("--refuse", options.refuse);
  if (options.corruptReads) args.push("--corrupt-reads");
  if (options.cutStreams) args.push("--cut-streams");
  if (options.requireHeader) args.push("--require-header", options.requireHeader);
  if (options.requireTool) args.push("--require-tool", options.requireTool);
  if (options.tls) args.push("--tls-cert", options.tls.cert, "--tls-key", options.tls.key);
  const child = new Deno.Command(SYSTEM_PYTHON, {
    args,
    cwd: "/",
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
    await Deno.remove(storeDir, { recursive: true }).catch(() => {});
  };
  try {
    const port = Number(await readFirstLine(child.stdout));
    if (!(port > 0)) throw new Error(`The test executor printed no port (${port})`);
    await waitForPort(port);
    const scheme = options.tls ? "grpcs" : "grpc";
    return { url: `${scheme}://127.0.0.1:${port}`, port, pid: child.pid, storeDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
