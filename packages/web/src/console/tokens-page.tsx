import type { RouterInputs, RouterOutputs } from "@plugins/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { TableScroll } from "../layout/table-scroll";
import { platform } from "../platform";
import { ConfirmButton } from "./confirm-button";

type TokenAction = RouterInputs["tokens"]["create"]["actions"][number];
type Token = RouterOutputs["tokens"]["list"][number];

const ACTIONS: ReadonlyArray<{ value: TokenAction; label: string }> = [
  { value: "publish", label: "publish versions" },
  { value: "deprecate", label: "deprecate versions" },
  { value: "yank", label: "yank versions" },
];
const TOKENS_KEY = ["tokens.list"] as const;

function day(value: unknown): string {
  return value ? String(value).slice(0, 10) : "never";
}

/** The signed-in user's publish tokens, for CI: create (the secret shown once), list, revoke. */
export function TokensPage() {
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: () => platform.tokens.list.query() });
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">Publish tokens</h1>
      <p>
        A publish token lets CI publish, deprecate or yank versions of the plugins it names, as you, without your
        sign-in. Each is yours alone: these are the tokens you created.
      </p>
      <CreateToken />
      <h2>Your tokens</h2>
      {tokens.isError && <ProblemNotice error={tokens.error} title="The tokens could not be read" />}
      {tokens.isPending && <LoadingRows rows={2} label="Loading the tokens" />}
      {tokens.data &&
        (tokens.data.length === 0 ? (
          <EmptyState>You have no publish token.</EmptyState>
        ) : (
          <TableScroll label="Your publish tokens">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Plugins</th>
                  <th scope="col">May</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {tokens.data.map((token) => (
                  <TokenRow key={token.id} token={token} />
                ))}
              </tbody>
            </table>
          </TableScroll>
        ))}
    </section>
  );
}

function TokenRow({ token }: { token: Token }) {
  const queries = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => platform.tokens.revoke.mutate({ id: token.id }),
    onSuccess: () => queries.invalidateQueries({ queryKey: TOKENS_KEY }),
  });
  const expired = new Date(String(token.expiresAt)).getTime() <= Date.now();
  return (
    <tr>
      <th scope="row">{token.name}</th>
      <td>{token.plugins.join(", ")}</td>
      <td>{token.actions.join(", ")}</td>
      <td>{day(token.createdAt)}</td>
      <td>{day(token.expiresAt)}</td>
      <td>{day(token.lastUsedAt)}</td>
      <td>
        {token.revokedAt ? (
          <span className="status status-error">revoked {day(token.revokedAt)}</span>
        ) : expired ? (
          <span className="status status-warning">expired</span>
        ) : (
          <>
            <span className="status status-ok">active</span>{" "}
            <ConfirmButton
              label={`Revoke ${token.name}`}
              question={`Revoke ${token.name}? Its next use is refused; CI that holds it stops publishing.`}
              confirmLabel="Yes, revoke it"
              pending={revoke.isPending}
              onConfirm={() => revoke.mutate()}
            />
          </>
        )}
        {revoke.isError && <ProblemNotice error={revoke.error} title="Not revoked" />}
      </td>
    </tr>
  );
}

function CreateToken() {
  const queries = useQueryClient();
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  const ids = { name: useId(), plugins: useId(), days: useId(), secret: useId(), actions: useId() };
  const create = useMutation({
    mutationFn: (input: RouterInputs["tokens"]["create"]) => platform.tokens.create.mutate(input),
    onSuccess: () => {
      setCopied(null);
      void queries.invalidateQueries({ queryKey: TOKENS_KEY });
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const plugins = String(form.get("plugins") ?? "")
      .split(/[\s,]+/)
      .filter((scope) => scope !== "");
    const actions = ACTIONS.map((action) => action.value).filter((action) => form.get(`action-${action}`) === "on");
    create.mutate({
      name: String(form.get("name") ?? "").trim(),
      plugins,
      actions,
      expiresInDays: Number(form.get("expiresInDays")) || 90,
    });
  }

  async function copy(token: string) {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }

  const created = create.data;
  return (
    <section aria-labelledby="create-token-title" className="console-section">
      <h2 id="create-token-title">Create a token</h2>
      {created ? (
        <div className="notice token-once" role="status">
          <p>
            <strong>Token {created.name} created. Copy it now: you will not see it again.</strong> The platform keeps
            only its hash.
          </p>
          <div className="field">
            <label htmlFor={ids.secret}>The new token</label>
            <input id={ids.secret} className="token-secret" readOnly value={created.token} spellCheck={false} />
          </div>
          <div className="button-row">
            <button type="button" className="button" onClick={() => void copy(created.token)}>
              Copy the token
            </button>
            <button type="button" className="button-quiet" onClick={() => create.reset()}>
              Done: hide it
            </button>
          </div>
          <p aria-live="polite">
            {copied === "copied" && "Copied to the clipboard."}
            {copied === "failed" && "The browser did not allow copying: select the token and copy it by hand."}
          </p>
        </div>
      ) : (
        <form className="stacked-form narrow" onSubmit={submit}>
          <div className="field">
            <label htmlFor={ids.name}>Name</label>
            <input id={ids.name} name="name" required maxLength={100} autoComplete="off" placeholder="CI of charts" />
          </div>
          <div className="field">
            <label htmlFor={ids.plugins}>Plugins</label>
            <input
              id={ids.plugins}
              name="plugins"
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="charts, acme-*"
            />
            <small>Plugin ids, or a prefix ending in *, separated by commas or spaces.</small>
          </div>
          <fieldset>
            <legend>It may</legend>
            {ACTIONS.map((action) => (
              <span key={action.value} className="checkbox">
                <input
                  id={`${ids.actions}-${action.value}`}
                  type="checkbox"
                  name={`action-${action.value}`}
                  defaultChecked={action.value === "publish"}
                />
                <label htmlFor={`${ids.actions}-${action.value}`}>{action.label}</label>
              </span>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={ids.days}>Expires in (days)</label>
            <input id={ids.days} name="expiresInDays" type="number" min={1} max={365} defaultValue={90} />
          </div>
          {create.isError && <ProblemNotice error={create.error} title="No token created" />}
          <div>
            <button type="submit" className="button" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create the token"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
