/**
 * The rule graph: rules, the sources and aliases they depend on, and the
 * dependencies found while running that the last build recorded, as JSON or
 * Graphviz dot.
 *
 * @module
 */
import type { Engine } from "../../memo/engine.ts";
import { closest } from "../dsl/errors.ts";
import type { DepSpec, Project } from "../project/project.ts";

/** A node of the rule graph. */
export interface GraphNode {
  /** Unique id: a rule id, a path, `@alias`, `glob:pattern` or `memo:name(input)`. */
  id: string;
  /** What it is. */
  kind: "rule" | "source" | "alias" | "glob" | "memo";
  /** Where a rule or alias is defined. */
  site?: string;
}

/** An edge from a dependency to what depends on it. */
export interface GraphEdge {
  /** The dependency. */
  from: string;
  /** The dependent. */
  to: string;
  /** True for a dependency found while running, as recorded by the last build. */
  dynamic: boolean;
}

/** The rule graph. */
export interface RuleGraph {
  /** Nodes. */
  nodes: GraphNode[];
  /** Edges, from dependency to dependent. */
  edges: GraphEdge[];
}

/**
 * Computes the rule graph: static dependencies from build.ts, dynamic ones
 * from what the engine recorded; restricted to what `targets` need when given.
 * @param project The loaded project.
 * @param engine An engine on the project's store (read-only is enough).
 * @param targets Targets and `@aliases` to restrict to.
 * @returns The graph.
 * @throws {Error} When a target is not in the graph: no rule produces it,
 * no rule or alias depends on it, and no alias has its name.
 */
export function ruleGraph(project: Project, engine: Engine, targets: string[] = []): RuleGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const seenEdges = new Set<string>();
  const node = (n: GraphNode) => {
    if (!nodes.has(n.id)) nodes.set(n.id, n);
    return n.id;
  };
  const edge = (from: string, to: string, dynamic: boolean) => {
    const key = `${from}\u0000${to}`;
    if (seenEdges.has(key)) return;
    seenEdges.add(key);
    edges.push({ from, to, dynamic });
  };
  const depNode = (dep: DepSpec): string => {
    switch (dep.kind) {
      case "path": {
        const producer = project.producers.get(dep.path);
        return producer !== undefined
          ? node({ id: producer.id, kind: "rule", site: producer.site })
          : node({ id: dep.path, kind: "source" });
      }
      case "rule":
        return node({ id: dep.id, kind: "rule", site: project.rules.get(dep.id)?.site });
      case "alias":
        return node({
          id: `@${dep.name}`,
          kind: "alias",
          site: project.aliases.get(dep.name)?.site,
        });
      case "glob":
        return node({ id: `glob:${dep.pattern}`, kind: "glob" });
    }
  };
  for (const alias of project.aliases.values()) {
    const id = node({ id: `@${alias.name}`, kind: "alias", site: alias.site });
    for (const dep of alias.deps) edge(depNode(dep), id, false);
    for (const rule of alias.rules) edge(depNode({ kind: "rule", id: rule }), id, false);
  }
  for (const rule of project.rules.values()) {
    const id = node({ id: rule.id, kind: "rule", site: rule.site });
    for (const dep of rule.deps) edge(depNode(dep), id, false);
    for (const recorded of engine.recordedDeps("barchan.rule", JSON.stringify(rule.id)) ?? []) {
      const from = recordedNode(project, rule.targets, recorded);
      if (from === undefined) continue;
      edge(node(from), id, true);
    }
  }
  const graph = { nodes: [...nodes.values()], edges };
  return targets.length === 0 ? graph : restrict(graph, project, targets);
}

function recordedNode(
  project: Project,
  ownTargets: readonly string[],
  recorded: string,
): GraphNode | undefined {
  const sep = recorded.indexOf("\u0000");
  if (sep === -1) {
    const path = project.normalizePath(recorded);
    if (ownTargets.includes(path)) return undefined;
    const producer = project.producers.get(path);
    return producer !== undefined
      ? { id: producer.id, kind: "rule", site: producer.site }
      : { id: path, kind: "source" };
  }
  const name = recorded.slice(0, sep);
  const key = recorded.slice(sep + 1);
  if (name === "barchan.rule" || name === "barchan.target") {
    const parsed = JSON.parse(key) as string | { rule: string };
    const id = typeof parsed === "string" ? parsed : parsed.rule;
    return { id, kind: "rule", site: project.rules.get(id)?.site };
  }
  if (name === "i" || name === "l" || name === "e" || name === "v" || name === "f") {
    return undefined;
  }
  return { id: `memo:${name}(${key})`, kind: "memo" };
}

function restrict(graph: RuleGraph, project: Project, targets: string[]): RuleGraph {
  const into = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = into.get(e.to) ?? [];
    list.push(e.from);
    into.set(e.to, list);
  }
  const keep = new Set<string>();
  const stack = targets.map((t) => {
    if (t.startsWith("@")) return t;
    const path = project.normalizePath(t);
    return project.producers.get(path)?.id ?? path;
  });
  const ids = new Set(graph.nodes.map((n) => n.id));
  for (const id of stack) {
    if (ids.has(id)) continue;
    const guess = closest(id, ids);
    throw new Error(
      `"${id}" is not in the rule graph: no rule produces it or depends on it, ` +
        `and no alias has that name${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`,
    );
  }
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    stack.push(...(into.get(id) ?? []));
  }
  return {
    nodes: graph.nodes.filter((n) => keep.has(n.id)),
    edges: graph.edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
  };
}

/**
 * Renders a rule graph as Graphviz dot: rules as boxes, sources as plain
 * text, aliases as diamonds, dynamic dependencies dashed.
 * @param graph The graph.
 * @returns The dot text.
 *
 * @example
 * ```ts
 * import { graphToDot } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const dot = graphToDot({
 *   nodes: [{ id: "a.c", kind: "source" }, { id: "a.o", kind: "rule" }],
 *   edges: [{ from: "a.c", to: "a.o", dynamic: false }],
 * });
 * assert.match(dot, /"a.c" -> "a.o"/);
 * ```
 */
export function graphToDot(graph: RuleGraph): string {
  const shape: Record<GraphNode["kind"], string> = {
    rule: "box",
    source: "plaintext",
    alias: "diamond",
    glob: "folder",
    memo: "ellipse",
  };
  const lines = ["digraph barchan {", "  rankdir=LR;"];
  for (const n of graph.nodes) lines.push(`  ${JSON.stringify(n.id)} [shape=${shape[n.kind]}];`);
  for (const e of graph.edges) {
    lines.push(
      `  ${JSON.stringify(e.from)} -> ${JSON.stringify(e.to)}${
        e.dynamic ? " [style=dashed]" : ""
      };`,
    );
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
