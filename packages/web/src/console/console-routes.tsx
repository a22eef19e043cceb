import { Link, Route, Switch, useLocation } from "wouter";
import { useSession } from "../session/session";
import { AuditPage } from "./audit-page";
import { InstancePage } from "./instance-page";
import { InstancesPage } from "./instances-page";
import { membershipOf } from "./membership";
import { TokensPage } from "./tokens-page";
import "./console.css";

/** The tenant console: the signed-in user's tenant, its instances, audit log and publish tokens. */
export default function ConsoleRoutes() {
  const { user } = useSession();
  const [location] = useLocation();
  if (!user) {
    return (
      <section className="narrow">
        <h1>Console</h1>
        <p>
          <Link href="~/sign-in">Sign in</Link> to manage a tenant's plugins.
        </p>
      </section>
    );
  }
  const membership = membershipOf(user);
  if (!membership) {
    return (
      <section className="narrow">
        <h1>Console</h1>
        <p>
          Your sign-in ({user.sub}, {user.role}) names no tenant. The console manages one tenant's plugins: sign in with
          a token that carries a <code>tenant</code> claim.
        </p>
      </section>
    );
  }
  const current = (path: string) =>
    (path === "/" ? location === "/" || location.startsWith("/instances") : location.startsWith(path))
      ? "page"
      : undefined;
  return (
    <div className="console">
      <nav aria-label="Console" className="console-nav">
        <Link href="/" aria-current={current("/")}>
          Instances
        </Link>
        {membership.canAudit && (
          <>
            <Link href="/audit" aria-current={current("/audit")}>
              Audit log
            </Link>
            <Link href="/tokens" aria-current={current("/tokens")}>
              Publish tokens
            </Link>
          </>
        )}
      </nav>
      <Switch>
        <Route path="/">
          <InstancesPage membership={membership} />
        </Route>
        <Route path="/instances/:instanceId">
          {(params) => <InstancePage membership={membership} instanceId={params.instanceId} />}
        </Route>
        <Route path="/audit">
          <AuditPage membership={membership} />
        </Route>
        <Route path="/tokens">
          <TokensPage />
        </Route>
        <Route>
          <section className="narrow">
            <h1>Page not found</h1>
            <p>
              The console has no such page. <Link href="/">Back to the instances</Link>.
            </p>
          </section>
        </Route>
      </Switch>
    </div>
  );
}
