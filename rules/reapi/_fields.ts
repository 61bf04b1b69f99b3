/**
 * Helpers the message files share: optional scalar fields of decoded
 * messages, and the `{ priority }` messages of the cache and execution
 * policies.
 *
 * @module
 */

import type { ProtoReader, ProtoWriter } from "./proto.ts";

/** Sets `target[key]` to `value`, or deletes it when `value` is `""`, `0` or `false`. */
export function setOptional<T, K extends keyof T>(target: T, key: K, value: T[K]): void {
  if (value === "" || value === 0 || value === false) delete target[key];
  else target[key] = value;
}

/** Writes a message whose only field is `int32 priority = 1`. */
export function writePriority(w: ProtoWriter, policy: { priority: number }): void {
  w.int32(1, policy.priority);
}

/** Reads a message whose only field is `int32 priority = 1`. */
export function readPriority(r: ProtoReader): { priority: number } {
  let priority = 0;
  while (r.next()) {
    if (r.field === 1) priority = r.int32();
    else r.skip();
  }
  return { priority };
}
