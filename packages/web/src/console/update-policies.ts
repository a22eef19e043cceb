import type { RouterInputs } from "@plugins/client";

export type UpdatePolicy = RouterInputs["installations"]["setUpdatePolicy"]["updatePolicy"];

/** The policies and what each means (the platform's `updatePolicies`, in its words). */
export const UPDATE_POLICIES: ReadonlyArray<{ value: UpdatePolicy; label: string }> = [
  { value: "pinned", label: "pinned: stays on its version" },
  { value: "patch", label: "patch: follows patch releases of its minor (~)" },
  { value: "minor", label: "minor: follows compatible releases (^)" },
  { value: "latest", label: "latest: follows the latest tag" },
];
