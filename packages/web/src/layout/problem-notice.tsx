import { problemOf } from "../platform";

/** A failed call as the server explained it: its message, and the request id to quote in a report. */
export function ProblemNotice({ error, title }: { error: unknown; title?: string }) {
  const problem = problemOf(error);
  return (
    <div className="notice notice-error" role="alert">
      {title && <strong>{title}: </strong>}
      <span className="problem-message">{problem.message}</span>
      {(problem.code || problem.requestId) && (
        <small className="problem-meta">
          {problem.code && <span>{problem.code}</span>}
          {problem.status && <span> · {problem.status}</span>}
          {problem.requestId && <span> · request id {problem.requestId}</span>}
        </small>
      )}
    </div>
  );
}
