import { lazy, Suspense } from "react";
import { Route, Switch } from "wouter";
import { PageShell } from "./layout/page-shell";
import { LoadingRows } from "./layout/placeholders";
import { PluginPage } from "./marketplace/plugin-page";
import { SearchPage } from "./marketplace/search-page";
import { SignInPage } from "./session/sign-in-page";

// The console is for signed-in users only: its code (and the form library) loads when opened,
// so the marketplace's first load stays small.
const ConsoleRoutes = lazy(() => import("./console/console-routes"));

export function App() {
  return (
    <PageShell>
      <Switch>
        <Route path="/" component={SearchPage} />
        <Route path="/plugin/:pluginId">{(params) => <PluginPage pluginId={params.pluginId} />}</Route>
        <Route path="/sign-in" component={SignInPage} />
        <Route path="/console" nest>
          <Suspense fallback={<LoadingRows rows={6} label="Loading the console" />}>
            <ConsoleRoutes />
          </Suspense>
        </Route>
        <Route>
          <section className="narrow">
            <h1>Page not found</h1>
            <p>Nothing lives at this address. The marketplace is at the start page.</p>
          </section>
        </Route>
      </Switch>
    </PageShell>
  );
}
