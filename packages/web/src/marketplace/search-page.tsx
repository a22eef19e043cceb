import type { RouterInputs } from "@plugins/client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Link, useSearch } from "wouter";
import { navigate } from "wouter/use-browser-location";
import { CursorPager } from "../layout/cursor-pager";
import { SelectField, TextField } from "../layout/form-fields";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { platform } from "../platform";

type SearchInput = RouterInputs["plugins"]["search"];
const KINDS = ["source", "agent", "integration"] as const;
const SORTS = [
  ["relevance", "Best match"],
  ["name", "Name"],
  ["updated", "Recently updated"],
  ["downloads", "Most downloaded"],
] as const;
type Sort = (typeof SORTS)[number][0];

/** A sort the registry accepts for this search: ranking needs words to rank by. */
function sortFor(value: string | null | undefined, query: string | undefined): Sort | undefined {
  const sort = SORTS.find(([candidate]) => candidate === value)?.[0];
  return sort === "relevance" && !query ? undefined : sort;
}
const PAGE_SIZE = 20;

/** The search as the address bar holds it, so a result page can be linked and reloaded. */
function searchFromAddress(search: string): SearchInput & { previous: string[] } {
  const params = new URLSearchParams(search);
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const kind = KINDS.find((candidate) => candidate === params.get("kind"));
  const query = text("q");
  return {
    query,
    sort: sortFor(params.get("sort"), query),
    category: text("category"),
    extensionPoint: text("extensionPoint"),
    kind,
    cursor: text("cursor"),
    limit: PAGE_SIZE,
    previous: params.getAll("previous"),
  };
}

function addressOf(search: Omit<ReturnType<typeof searchFromAddress>, "limit">): string {
  const params = new URLSearchParams();
  if (search.query) params.set("q", search.query);
  if (search.category) params.set("category", search.category);
  if (search.extensionPoint) params.set("extensionPoint", search.extensionPoint);
  if (search.kind) params.set("kind", search.kind);
  if (search.sort) params.set("sort", search.sort);
  if (search.cursor) params.set("cursor", search.cursor);
  for (const cursor of search.previous) params.append("previous", cursor);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

/** The marketplace's front page: search, filters and pages of results. */
export function SearchPage() {
  const search = searchFromAddress(useSearch());
  const { previous, ...input } = search;
  const results = useQuery({
    queryKey: ["plugins.search", input],
    queryFn: () => platform.plugins.search.query(input),
    placeholderData: keepPreviousData,
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    navigate(
      addressOf({
        query: field("q"),
        sort: sortFor(field("sort"), field("q")),
        category: field("category"),
        extensionPoint: field("extensionPoint"),
        kind: KINDS.find((kind) => kind === form.get("kind")),
        previous: [],
      }),
    );
  }

  return (
    <section aria-labelledby="marketplace-title">
      <h1 id="marketplace-title">Marketplace</h1>
      <search>
        <form className="search-form" onSubmit={submit} key={addressOf({ ...search, cursor: undefined, previous: [] })}>
          <TextField
            label="Search plugins"
            name="q"
            type="search"
            className="field-wide"
            defaultValue={search.query}
            placeholder="charts, sync, -beta"
          />
          <TextField label="Category" name="category" defaultValue={search.category} />
          <TextField label="Extension point" name="extensionPoint" defaultValue={search.extensionPoint} />
          <SelectField
            label="Kind"
            name="kind"
            defaultValue={search.kind}
            anyLabel="Any"
            options={KINDS.map((kind) => [kind, kind] as const)}
          />
          <SelectField
            label="Sort by"
            name="sort"
            defaultValue={search.sort}
            anyLabel={search.query ? "Best match" : "Name"}
            options={SORTS.filter(([sort]) => sort !== "relevance" || search.query)}
          />
          <button type="submit" className="button">
            Search
          </button>
        </form>
      </search>

      {results.isError && <ProblemNotice error={results.error} title="The search failed" />}
      {results.isPending && <LoadingRows rows={5} label="Loading plugins" />}
      {results.data && (
        <>
          <p className="result-count" aria-live="polite">
            {results.data.items.length === 0
              ? ""
              : `Showing ${results.data.items.length} plugin${results.data.items.length === 1 ? "" : "s"}`}
          </p>
          {results.data.items.length === 0 ? (
            <EmptyState>No plugin matches this search.</EmptyState>
          ) : (
            <ul className="result-list" aria-busy={results.isFetching}>
              {results.data.items.map((plugin) => (
                <li key={plugin.id} className="result">
                  <h2 className="result-title">
                    <Link href={`/plugin/${plugin.id}`}>{plugin.displayName ?? plugin.name}</Link>
                  </h2>
                  <p className="result-id">
                    {plugin.id}
                    {plugin.latestVersion && ` · ${plugin.latestVersion}`}
                    {` · ${plugin.downloads.toLocaleString("en")} download${plugin.downloads === 1 ? "" : "s"}`}
                  </p>
                  <p>{plugin.description}</p>
                  <p className="tags">
                    <span className="tag">{plugin.category}</span>
                    {plugin.kind && <span className="tag tag-kind">{plugin.kind}</span>}
                    {plugin.extensionPoints.map((point) => (
                      <span key={point} className="tag tag-point">
                        {point}
                      </span>
                    ))}
                  </p>
                </li>
              ))}
            </ul>
          )}
          <CursorPager
            label="Result pages"
            position={search}
            nextCursor={results.data.nextCursor}
            addressOf={(position) => addressOf({ ...search, ...position })}
          />
        </>
      )}
    </section>
  );
}
