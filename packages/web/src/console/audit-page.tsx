import type { RouterOutputs } from "@plugins/client";
import { AUDIT_RESOURCE_TYPES } from "@plugins/schema";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useId } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { CursorPager } from "../layout/cursor-pager";
import { SelectField, TextField } from "../layout/form-fields";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { TableScroll } from "../layout/table-scroll";
import { platform } from "../platform";
import type { Membership } from "./membership";

type AuditEntry = RouterOutputs["audit"]["list"]["items"][number];

const PAGE_SIZE = 50;

/** The filters `audit.list` applies on the server; every one narrows the others. */
interface AuditFilters {
  action?: string;
  resourceType?: string;
  resourceId?: string;
  actor?: string;
  /** ISO timestamps: entries at or after `since` and before `until`. */
  since?: string;
  until?: string;
}
const FILTERS = ["action", "resourceType", "resourceId", "actor", "since", "until"] as const;

interface AuditView extends AuditFilters {
  cursor?: string;
  /** The cursors of the pages before this one, for "Newer entries" ("" for the first page). */
  previous: string[];
}

/** The log's view as the address bar holds it, so a filtered page can be linked and reloaded. */
function viewFromAddress(search: string): AuditView {
  const params = new URLSearchParams(search);
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const view: AuditView = { cursor: text("cursor"), previous: params.getAll("previous") };
  for (const name of FILTERS) view[name] = text(name);
  return view;
}

function addressOf(view: AuditView): string {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = view[name];
    if (value) params.set(name, value);
  }
  if (view.cursor !== undefined) params.set("cursor", view.cursor);
  for (const cursor of view.previous) params.append("previous", cursor);
  const query = params.toString();
  return query ? `/audit?${query}` : "/audit";
}

/** A `datetime-local` field's value (the browser's time zone) as an ISO timestamp, and back. */
function isoFromLocal(value: string): string | undefined {
  const time = new Date(value);
  return value && !Number.isNaN(time.getTime()) ? time.toISOString() : undefined;
}
function localFromIso(value: string | undefined): string | undefined {
  const time = value ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) return undefined;
  const local = new Date(time.getTime() - time.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The tenant's audit log, newest first, a page at a time, filtered by the server. */
export function AuditPage({ membership }: { membership: Membership }) {
  const view = viewFromAddress(useSearch());
  const [, navigate] = useLocation();
  const filters: AuditFilters = Object.fromEntries(FILTERS.map((name) => [name, view[name]]));
  const filtered = FILTERS.some((name) => view[name] !== undefined);
  const input = { tenantId: membership.tenantId, ...filters, cursor: view.cursor, limit: PAGE_SIZE };
  const page = useQuery({
    queryKey: ["audit.list", input],
    // The address bar may hold anything: the server checks every filter and says which it refuses.
    queryFn: () => platform.audit.list.query(input as Parameters<typeof platform.audit.list.query>[0]),
    placeholderData: keepPreviousData,
  });
  const actionId = useId();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    navigate(
      addressOf({
        action: field("action"),
        resourceType: field("resourceType"),
        resourceId: field("resourceId"),
        actor: field("actor"),
        since: isoFromLocal(field("since") ?? ""),
        until: isoFromLocal(field("until") ?? ""),
        previous: [],
      }),
    );
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
            <label htmlFor={actionId}>Action</label>
            <input
              id={actionId}
              name="action"
              defaultValue={view.action}
              placeholder="installation.upgrade"
              list={`${actionId}-actions`}
              autoComplete="off"
              aria-describedby={`${actionId}-hint`}
            />
            <datalist id={`${actionId}-actions`}>
              {KNOWN_ACTIONS.map((action) => (
                <option key={action} value={action} />
              ))}
            </datalist>
          </div>
          <SelectField
            label="Resource type"
            name="resourceType"
            defaultValue={view.resourceType}
            anyLabel="Any"
            options={AUDIT_RESOURCE_TYPES.map((type) => [type, type] as const)}
          />
          <TextField label="Resource id" name="resourceId" defaultValue={view.resourceId} autoComplete="off" />
          <TextField label="Actor" name="actor" defaultValue={view.actor} autoComplete="off" />
          <TextField label="Since" name="since" type="datetime-local" defaultValue={localFromIso(view.since)} />
          <TextField label="Until" name="until" type="datetime-local" defaultValue={localFromIso(view.until)} />
          <button type="submit" className="button">
            Filter
          </button>
        </form>
        <p className="muted" id={`${actionId}-hint`}>
          An action ending with a dot (<code>installation.</code>) finds every action of its kind; times are in your
          time zone.
        </p>
      </search>
      {page.isError && <ProblemNotice error={page.error} title="The audit log could not be read" />}
      {page.isPending && <LoadingRows rows={5} label="Loading the audit log" />}
      {page.data && (
        <>
          <p className="result-count" aria-live="polite">
            {`${page.data.items.length} entries${filtered ? " matching the filters" : ""}${view.cursor ? " on this page" : ""}`}
          </p>
          {page.data.items.length === 0 ? (
            <EmptyState>{filtered ? "No entry matches the filters." : "The log is empty."}</EmptyState>
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
                  {page.data.items.map((entry) => (
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
                        <ResourceLink entry={entry} />
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
          <CursorPager
            label="Audit log pages"
            position={view}
            nextCursor={page.data.nextCursor}
            addressOf={(position) => addressOf({ ...view, ...position })}
            labels={["Newer entries", "Older entries"]}
          />
        </>
      )}
    </section>
  );
}

/**
 * An entry's resource, as a link to that resource's entries. An installation is shown by its
 * instance id (what the console names it by) but filtered by its own id, which a later
 * instance of the same name does not share.
 */
function ResourceLink({ entry }: { entry: AuditEntry }) {
  const shown = typeof entry.details.instanceId === "string" ? entry.details.instanceId : entry.resourceId;
  return (
    <>
      {entry.resourceType}{" "}
      <Link
        href={addressOf({ resourceType: entry.resourceType, resourceId: entry.resourceId, previous: [] })}
        title={`Every entry of ${entry.resourceType} ${shown}`}
      >
        <code className="sri">{shown}</code>
      </Link>
    </>
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
