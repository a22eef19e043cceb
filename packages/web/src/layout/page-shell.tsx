import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useSession } from "../session/session";

/** The frame of every page: a skip link, the site's navigation, who is signed in, the page. */
export function PageShell({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  const [location, navigate] = useLocation();
  const current = (path: string) =>
    (path === "/" ? location === "/" || location.startsWith("/plugin/") : location.startsWith(path))
      ? "page"
      : undefined;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <nav aria-label="Site" className="site-nav">
          <Link href="/" className="brand">
            Plugins
          </Link>
          <Link href="/" aria-current={current("/")}>
            Marketplace
          </Link>
          {user && (
            <Link href="/console" aria-current={current("/console")}>
              Console
            </Link>
          )}
        </nav>
        <div className="session">
          {user ? (
            <>
              <span className="session-user">
                {user.sub}
                {user.tenant && ` · ${user.tenant}`} · {user.role}
              </span>
              <button
                type="button"
                className="button-quiet"
                onClick={() => {
                  signOut();
                  navigate("/");
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <Link href="/sign-in" className="button">
              Sign in
            </Link>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
