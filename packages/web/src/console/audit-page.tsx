import type { RouterOutputs } from "@plugins/client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useId } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { TableScroll } from "../layout/table-scroll";
import { platform } from "../platform";
import type { Membership } from "./membership";

type AuditEntry = RouterOutputs["audit"]["list"]["items"][number];

const PAGE_SIZE = 50;
/** A filtered page reads more entries, so that a filter does not leave pages nearly empty. */
const FILTERED_PAGE_SIZE = 200;

interface AuditView {
  action?: string;
  resource?: string;
  actor?: string;
  cursor?: number;
  /** The cursors of the pages before this one, for "Previous page". */
  previous: string[];
}

/** The log's view as the address bar holds it, so a filtered page can be linked and reloaded. */
function viewFromAddress(search: string): AuditView {
  const params = new URLSearchParams(search);
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const cursor = Number(params.get("cursor"));
  return {
    action: text("action"),
    resource: text("resource"),
    actor: text("actor"),
    cursor: Number.isInteger(cursor) && cursor > 0 ? cursor : undefined,
    previous: params.getAll("previous"),
  };
}

function addressOf(view: AuditView): string {
  const params = new URLSearchParams();
  if (view.action) params.set("action", view.action);
  if (view.resource) params.set("resource", view.resource);
  if (view.actor) params.set("actor", view.actor);
  if (view.cursor !== undefined) params.set("cursor", String(view.cursor));
  for (const cursor of view.previous) params.append("previous", cursor);
  const query = params.toString();
  return query ? `/audit?${query}` : "/audit";
}

/**
 * Whether an entry passes the filters: the action starts with the one given (`installation.`
 * finds them all), the resource is its type or id, the actor its id. `audit.list` pages the
 * tenant's log by cursor and filters nothing else, so the filters apply to each page read.
 */
function matches(entry: AuditEntry, view: AuditView): boolean {
  return (
    (!view.action || entry.action.startsWith(view.action)) &&
    (!view.resource ||
      entry.resourceType === view.resource ||
      entry.resourceId === view.resource ||
      entry.details.instanceId === view.resource) &&
    (!view.actor || entry.actorId === view.actor)
  );
}

/** The tenant's audit log, newest first, a page at a time, with filters. */
export function AuditPage({ membership }: { membership: Membership }) {
  const view = viewFromAddress(useSearch());
  const [, navigate] = useLocation();
  const filtered = Boolean(view.action || view.resource || view.actor);
  const input = {
    tenantId: membership.tenantId,
    cursor: view.cursor,
    limit: filtered ? FILTERED_PAGE_SIZE : PAGE_SIZE,
  };
  const page = useQuery({
    queryKey: ["audit.list", input],
    queryFn: () => platform.audit.list.query(input),
    placeholderData: keepPreviousData,
  });
  const ids = { action: useId(), resource: useId(), actor: useId() };
  const shown = page.data?.items.filter((entry) => matches(entry, view)) ?? [];

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    navigate(addressOf({ action: field("action"), resource: field("resource"), actor: field("actor"), previous: [] }));
  }

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log of {membership.tenantId}</h1>
      <search>
        <form
          className="search-form audit-filters"
          onSubmit={submit}
          key={addressOf({ ...view, cursor: undefined, previous: [] })}
        >
          <div className="field">
            <label htmlFor={ids.action}>Action</label>
            <input
              id={ids.action}
              name="action"
              defaultValue={view.action}
              placeholder="installation.upgrade"
              list={`${ids.action}-actions`}
              autoComplete="off"
            />
            <datalist id={`${ids.action}-actions`}>
              {KNOWN_ACTIONS.map((action) => (
                <option key={action} value={action} />
              ))}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor={ids.resource}>Resource (type or id)</label>
            <input
              id={ids.resource}
              name="resource"
              defaultValue={view.resource}
              placeholder="installation"
              autoComplete="off"
            />
          </div>
          <div className="field">
            <label htmlFor={ids.actor}>Actor</label>
            <input id={ids.actor} name="actor" defaultValue={view.actor} autoComplete="off" />
          </div>
          <button type="submit" className="button">
            Filter
          </button>
        </form>
      </search>
      {page.isError && <ProblemNotice error={page.error} title="The audit log could not be read" />}
      {page.isPending && <LoadingRows rows={5} label="Loading the audit log" />}
      {page.data && (
        <>
          <p className="result-count" aria-live="polite">
            {filtered
              ? `${shown.length} of the ${page.data.items.length} entries of this page match`
              : `${page.data.items.length} entries`}
          </p>
          {shown.length === 0 ? (
            <EmptyState>{filtered ? "No entry of this page matches the filters." : "The log is empty."}</EmptyState>
          ) : (
            <TableScroll label="Audit log entries">
              <table aria-busy={page.isFetching} className="audit-table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Action</th>
                    <th scope="col">Resource</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Details</th>
                    <th scope="col">Request id</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((entry) => (
                    <tr key={entry.id}>
                      <td>
                        <time dateTime={String(entry.occurredAt)}>
                          {String(entry.occurredAt).replace("T", " ").slice(0, 19)}
                        </time>
                      </td>
                      <td>
                        <code>{entry.action}</code>
                      </td>
                      <td>
                        {entry.resourceType}{" "}
                        <code className="sri">
                          {typeof entry.details.instanceId === "string" ? entry.details.instanceId : entry.resourceId}
                        </code>
                      </td>
                      <td>
                        {entry.actorId} <small>({entry.actorRole})</small>
                      </td>
                      <td>
                        <AuditDetails details={entry.details} />
                      </td>
                      <td>
                        <code className="sri">{entry.requestId}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
          <nav aria-label="Audit log pages" className="pager">
            {view.cursor !== undefined && (
              <Link
                href={addressOf({
                  ...view,
                  cursor: Number(view.previous.at(-1)) || undefined,
                  previous: view.previous.slice(0, -1),
                })}
              >
                Newer entries
              </Link>
            )}
            {page.data.nextCursor !== null && (
              <Link
                href={addressOf({
                  ...view,
                  cursor: page.data.nextCursor,
                  previous: [...view.previous, String(view.cursor ?? "")],
                })}
              >
                Older entries
              </Link>
            )}
          </nav>
        </>
      )}
    </section>
  );
}

/** An entry's details, as the platform recorded them (never a secret: it records field names only). */
function AuditDetails({ details }: { details: Record<string, unknown> }) {
  const { instanceId: _shownBeside, ...rest } = details;
  const entries = Object.entries(rest);
  if (entries.length === 0) return null;
  return (
    <dl className="audit-details">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The actions the platform records about a tenant's plugins, offered as the filter's suggestions. */
const KNOWN_ACTIONS = [
  "installation.",
  "installation.install",
  "installation.configure",
  "installation.activate",
  "installation.deactivate",
  "installation.uninstall",
  "installation.upgrade",
  "installation.rollback",
  "installation.update_policy",
  "installation.auto_update",
  "installation.update_held",
  "tenant_policy.set",
  "tenant_host.register",
];
