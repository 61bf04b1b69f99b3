/**
 * Runs tests/rules/reapi/_reapi_py.py, which builds REAPI messages with
 * protobuf's Python implementation and the REAPI modules of Debian's
 * buildstream package.
 */

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./_reapi_py.py", import.meta.url).pathname;
const PROTOS = "/usr/lib/python3/dist-packages/buildstream/_protos";

async function _probe(): Promise<string | undefined> {
  try {
    await Deno.stat(PYTHON);
  } catch {
    return `${PYTHON} is missing`;
  }
  try {
    await Deno.stat(`${PROTOS}/build/bazel/remote/execution/v2/remote_execution_pb2.py`);
  } catch {
    return `the buildstream package is missing (no ${PROTOS}); install it with apt-get install buildstream`;
  }
  return undefined;
}

/** Why the Python comparisons cannot run here, or `undefined` when they can. */
export const pythonMissing: string | undefined = await _probe();

if (pythonMissing !== undefined) {
  console.log(`note: skipping the comparisons with Python's protobuf: ${pythonMissing}`);
}

/** Runs `_reapi_py.py mode` with `input` as JSON on stdin; returns its JSON output. */
export async function python<T>(mode: string, input?: unknown): Promise<T> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, mode],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input ?? null)));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`_reapi_py.py ${mode} failed (${out.code}):\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Bytes from hex. */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Hex from bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
