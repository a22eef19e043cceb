import { Link, Route, Switch } from "wouter";
import { useSession } from "../session/session";

/** The tenant console: the signed-in user's tenant, its instances, audit log and publish tokens. */
export default function ConsoleRoutes() {
  const { user } = useSession();
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
  return (
    <div className="console">
      <nav aria-label="Console" className="console-nav">
        <Link href="/">Instances</Link>
        <Link href="/audit">Audit log</Link>
        <Link href="/tokens">Publish tokens</Link>
      </nav>
      <Switch>
        <Route path="/">
          <h1>Instances of {user.tenant}</h1>
        </Route>
      </Switch>
    </div>
  );
}
