import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { useLocation } from "wouter";
import { ProblemNotice } from "../layout/problem-notice";
import { rest } from "../platform";
import { useSession } from "./session";

const ROLES = ["admin", "editor", "viewer"] as const;

/**
 * Sign-in by pasting a bearer token from the identity provider (or `pnpm token` locally). On a
 * local stack (`ENVIRONMENT=development`) the API also signs tokens itself: the dev sign-in
 * form below is shown only where `GET /api/dev/session` answers.
 */
export function SignInPage() {
  const { signIn } = useSession();
  const [, navigate] = useLocation();
  const [problem, setProblem] = useState<string | null>(null);
  const [devProblem, setDevProblem] = useState<unknown>(null);
  const ids = { token: useId(), problem: useId(), sub: useId(), tenant: useId(), role: useId() };

  function submitToken(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const outcome = signIn(String(new FormData(event.currentTarget).get("token") ?? ""));
    if (outcome.ok) navigate("/console");
    else setProblem(outcome.problem);
  }

  async function submitDev(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const { token } = await rest<{ token: string }>("/api/dev/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sub: form.get("sub"), tenant: form.get("tenant"), role: form.get("role") }),
      });
      const outcome = signIn(token);
      if (outcome.ok) navigate("/console");
      else setProblem(outcome.problem);
    } catch (error) {
      setDevProblem(error);
    }
  }

  return (
    <section aria-labelledby="sign-in-title" className="narrow">
      <h1 id="sign-in-title">Sign in</h1>
      <form onSubmit={submitToken} className="stacked-form">
        <div className="field">
          <label htmlFor={ids.token}>Sign-in token</label>
          <textarea
            id={ids.token}
            name="token"
            rows={4}
            required
            spellCheck={false}
            autoComplete="off"
            aria-describedby={problem ? ids.problem : undefined}
            aria-invalid={problem ? true : undefined}
          />
          <small>
            A JWT from your identity provider. Locally: <code>pnpm token --sub you --role admin --tenant acme</code>. It
            is kept in this tab only, and forgotten when the tab closes.
          </small>
        </div>
        {problem && (
          <p id={ids.problem} className="notice notice-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="button">
          Sign in
        </button>
      </form>
      <DevSignIn ids={ids} onSubmit={submitDev} problem={devProblem} />
    </section>
  );
}

function DevSignIn({
  ids,
  onSubmit,
  problem,
}: {
  ids: { sub: string; tenant: string; role: string };
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  problem: unknown;
}) {
  // A 404 everywhere but on a local stack.
  const devSession = useQuery({
    queryKey: ["dev-session"],
    queryFn: () => rest<{ available: boolean }>("/api/dev/session"),
    retry: false,
  });
  if (!devSession.data?.available) return null;
  return (
    <form onSubmit={onSubmit} className="stacked-form dev-sign-in" aria-labelledby="dev-sign-in-title">
      <h2 id="dev-sign-in-title">Development sign-in</h2>
      <p>This local stack signs tokens itself. A deployed platform never offers this.</p>
      <div className="field">
        <label htmlFor={ids.sub}>User</label>
        <input id={ids.sub} name="sub" required defaultValue="dev" autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor={ids.tenant}>Tenant</label>
        <input id={ids.tenant} name="tenant" required defaultValue="acme" autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor={ids.role}>Role</label>
        <select id={ids.role} name="role" defaultValue="admin">
          {ROLES.map((role) => (
            <option key={role}>{role}</option>
          ))}
        </select>
      </div>
      {problem !== null && <ProblemNotice error={problem} title="Not signed in" />}
      <button type="submit" className="button">
        Sign in as this user
      </button>
    </form>
  );
}
