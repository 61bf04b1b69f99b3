/**
 * The name of every file and directory barchan keeps a project's state in,
 * in one place. All of them are under {@linkcode STATE_DIR}, relative to the
 * project root:
 *
 * - `memo.log` and `lock`: the memo store and its lock (their names and the
 *   store's format are the store's own: `memo/persist/store.ts`, `STORE_FILE`);
 * - {@linkcode OUTPUTS_LOG}: the outputs barchan wrote, with their digests;
 * - {@linkcode REMOTE_OUTPUTS_LOG}: the outputs `--remote-download minimal`
 *   left on the remote executor, known by their digests, and those of them
 *   fetched since;
 * - {@linkcode RUNNING_LOG}: the commands the running build started;
 * - {@linkcode BUILD_LOCK}: held by the build that runs, and for as long as
 *   they live by the project's build server and by a watch session;
 * - {@linkcode OUTPUT_DIR}: the whole output of commands that printed more
 *   than a build keeps in memory, one file per rule and stream;
 * - {@linkcode SERVER_SOCKET}: where the build server or a watch session
 *   serves builds (in the temporary directory when this path is too long
 *   for a socket);
 * - {@linkcode SERVER_PID} and {@linkcode SERVER_LOG}: the build server's
 *   process id, while it runs, and what it has to say (why it stopped);
 * - {@linkcode SERVER_FAILED}: why a build server could not start, which
 *   builds do not try again for a while;
 * - `.watch-mark-PID-N`: a watch session's marks in its stream of file
 *   events, named by `fiber/watcher.ts`.
 *
 * A file rewritten whole goes through a temporary file beside it, named after
 * it (`.tmp`, or `.PID.tmp`), then renamed.
 *
 * Damage to any of them costs a one-line note and a correct, slower build,
 * never a wrong one:
 *
 * - `memo.log`: a header with a format version, then frames each with its
 *   length and a checksum of its payload (checkpoints included). A torn last
 *   frame (a crash) is dropped; any other damage is noted and the store
 *   starts empty, so everything is checked and rebuilt.
 * - {@linkcode OUTPUTS_LOG}: a format line, then lines each with a checksum.
 *   A torn last line is dropped; any other damage (or a lost log) is noted
 *   and ownership is recovered from content: a file is barchan's only when
 *   it holds what barchan recorded writing there, in the log's good lines or
 *   in the store (`rules/run/outputs.ts`).
 * - {@linkcode REMOTE_OUTPUTS_LOG}: a format line, then lines each with a
 *   checksum. A torn last line is dropped; any other damage is noted and
 *   every entry forgotten: an output that was left remote is then missing,
 *   and the rule that made it runs again when it is needed
 *   (`rules/run/remote_outputs.ts`).
 * - {@linkcode RUNNING_LOG}: a format line, then lines each with a checksum;
 *   a process is stopped only on a good line and when it still runs with
 *   the start time recorded, so damage leaves a process running at worst.
 * - `lock`, {@linkcode BUILD_LOCK}: locked, never read; their content does
 *   not matter. A lock file deleted or replaced under a build is found
 *   (`isSameFile`) and taken again.
 * - {@linkcode SERVER_SOCKET}: a socket nobody listens on (a server or a
 *   session that was killed) refuses the connection, and the build starts
 *   a new server (which replaces the socket) or runs by itself.
 * - {@linkcode SERVER_PID}: read only to kill a server that does not
 *   answer, and then only a process of this user whose command line is
 *   `server run` for this project: damage leaves such a server running at
 *   worst, until it stops by itself.
 * - {@linkcode SERVER_LOG}: only its last line is read, by a build whose
 *   server did not answer Ctrl-C, for what the server's watchdog wrote
 *   there; damage costs that message at worst.
 * - {@linkcode SERVER_FAILED}: only its age and its text are read; damage
 *   at worst makes builds run by themselves for a while, saying why.
 * - {@linkcode OUTPUT_DIR}: a command's whole output, written afresh for
 *   each run of its rule and read back only by the build that wrote it;
 *   nothing in a later build is decided from it.
 * - `.watch-mark-PID-N`, the `.tmp` files: never read; a mark names its
 *   session's pid, and a temporary file is written whole before each use.
 *
 * @example Where the outputs record of a project lives
 * ```ts
 * import { OUTPUTS_LOG, STATE_DIR } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * assert.equal(`/src/app/${STATE_DIR}/${OUTPUTS_LOG}`, "/src/app/_build/.barchan/outputs.log");
 * ```
 *
 * @module
 */

/** Where build outputs go by convention: globs never enter it, and no change in it starts a build. */
export const BUILD_DIR = "_build";

/** Where barchan keeps its state (store, outputs record, locks), relative to the project root. */
export const STATE_DIR = "_build/.barchan";

/** The build lock, in {@linkcode STATE_DIR}: one build (or watch session) of a project at a time. */
export const BUILD_LOCK = "build.lock";

/** The record of the outputs barchan wrote, in {@linkcode STATE_DIR}. */
export const OUTPUTS_LOG = "outputs.log";

/**
 * The record of the outputs left on the remote executor (`--remote-download
 * minimal`), in {@linkcode STATE_DIR}.
 */
export const REMOTE_OUTPUTS_LOG = "remote_outputs.log";

/** The record of the commands the running build started, in {@linkcode STATE_DIR}. */
export const RUNNING_LOG = "running.log";

/** The Unix socket the build server or a watch session serves builds on, in {@linkcode STATE_DIR}. */
export const SERVER_SOCKET = "server.sock";

/** The build server's process id, while it runs, in {@linkcode STATE_DIR}. */
export const SERVER_PID = "server.pid";

/** The build server's log (its start, why it stopped), in {@linkcode STATE_DIR}. */
export const SERVER_LOG = "server.log";

/** Why a build server could not start, in {@linkcode STATE_DIR}: builds do not try again for a while. */
export const SERVER_FAILED = "server.failed";

/** Where output too long to keep in memory goes, under {@linkcode STATE_DIR}. */
export const OUTPUT_DIR = "output";
