interface IssueLike {
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

/**
 * One line naming every invalid field, for error messages:
 * `metadata.version: "abc" is not a semver version like 1.2.3; name: must not be empty`.
 */
export function describeIssues(issues: ReadonlyArray<IssueLike>): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? []).map((part) => String(typeof part === "object" ? part.key : part)).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

/** The issues of a failed validation (zod or any Standard Schema), or null for any other error. */
export function validationIssues(cause: unknown): ReadonlyArray<IssueLike> | null {
  if (cause && typeof cause === "object" && "issues" in cause && Array.isArray(cause.issues)) return cause.issues;
  return null;
}
