// Compiled with api.d.ts under `tsc --strict` (tests/api/test_clients.py): the generated types are
// usable as a consumer would use them. Fields the API always returns are not optional, free JSON is
// an open object, and error details are typed.
import type { components, operations, paths } from "./api";

type Schemas = components["schemas"];

export function describeRun(run: Schemas["Run"]): string {
  const gate = run.open_gate === null ? "no open gate" : `waits at ${run.open_gate.gate}`;
  const steps: unknown = run.payload["steps"];
  return `${run.run_id} (${run.project}) is ${run.status}, ${gate}, ${run.artifact_count} artifacts, steps ${String(steps)}`;
}

export function missingScope(error: Schemas["Error"]): string | undefined {
  return error.error.code === "missing_scope" ? error.error.details?.required_scope : undefined;
}

export const trace: Schemas["RetrievalTrace"] = {
  query: "hooks that hold attention",
  docIds: ["d1"],
  similarities: [0.82],
  persona: "ideator",
  project: null,
};

export const create: Schemas["RunCreateRequest"] = { project: "aismr", payload: { topic: "rain" } };

export const save: operations["runs_checkpoint_put"]["parameters"]["header"] = { "If-Match": '"1"' };

export type Etag = operations["runs_checkpoint_get"]["responses"][200]["headers"]["ETag"];

export const statuses: NonNullable<paths["/api/v1/runs"]["get"]["parameters"]["query"]>["status"] = [
  "running",
  "awaiting_approval",
];
