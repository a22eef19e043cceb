import { Link } from "wouter";

/** Where a listing stands: the cursor of the page shown, and those of the pages before it. */
export interface PagePosition {
  cursor?: string;
  previous: string[];
}

/**
 * The links to the page before and after one of a keyset-paged listing. The API's cursors only
 * lead forward, so the address keeps the cursors of the pages walked (`previous`) to lead back.
 */
export function CursorPager({
  label,
  position,
  nextCursor,
  addressOf,
  labels = ["Previous page", "Next page"],
}: {
  label: string;
  position: PagePosition;
  nextCursor: string | null;
  addressOf: (position: PagePosition) => string;
  labels?: readonly [string, string];
}) {
  return (
    <nav aria-label={label} className="pager">
      {position.cursor !== undefined && (
        <Link
          href={addressOf({ cursor: position.previous.at(-1) || undefined, previous: position.previous.slice(0, -1) })}
        >
          {labels[0]}
        </Link>
      )}
      {nextCursor && (
        <Link href={addressOf({ cursor: nextCursor, previous: [...position.previous, position.cursor ?? ""] })}>
          {labels[1]}
        </Link>
      )}
    </nav>
  );
}
