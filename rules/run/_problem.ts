// The error for a problem found while building: a RuleError when a rule
// needed what failed, a plain Error for a request from outside any rule.
import { RuleError } from "../dsl/errors.ts";
import type { Rule } from "../project/project.ts";

/** The error for `message`, on the rule `from` when there is one. */
export function problem(from: Rule | undefined, message: string): Error {
  return from === undefined
    ? new Error(message)
    : new RuleError({ rule: from.id, site: from.site, message });
}
