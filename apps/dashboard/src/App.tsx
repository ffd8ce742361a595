import { lazy, Suspense, useEffect } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { useApiKey } from "./api/use-session";
import { Layout } from "./components/Layout";
import { SignIn } from "./pages/SignIn";
import { ExperimentsPage } from "./pages/Experiments";
import { NotFound } from "./pages/NotFound";
import { Loading } from "./components/common";

// The list is the landing page and ships in the main bundle; the other pages (and the chart
// library) load when first opened.
const NewExperimentPage = lazy(() => import("./pages/NewExperiment").then((m) => ({ default: m.NewExperimentPage })));
const ExperimentPage = lazy(() => import("./pages/Experiment").then((m) => ({ default: m.ExperimentPage })));
const JobPage = lazy(() => import("./pages/Job").then((m) => ({ default: m.JobPage })));
const DatasetPage = lazy(() => import("./pages/Dataset").then((m) => ({ default: m.DatasetPage })));
const EvalItemsPage = lazy(() => import("./pages/EvalItems").then((m) => ({ default: m.EvalItemsPage })));
const WebhooksPage = lazy(() => import("./pages/Webhooks").then((m) => ({ default: m.WebhooksPage })));

/** Every page needs a key: signed out, any URL shows the sign-in form and then that page. */
export function App() {
  const key = useApiKey();
  const queryClient = useQueryClient();
  const location = useLocation();
  useEffect(() => {
    if (!key) queryClient.clear(); // nothing of the previous key's project stays on screen
  }, [key, queryClient]);
  useEffect(() => {
    // Move focus to the new page's heading so screen readers announce the navigation.
    if (key) document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: true });
  }, [location.pathname, key]);
  if (!key) return <SignIn />;
  return (
    <Layout>
      <Suspense fallback={<Loading what="the page" />}>
        <Routes>
          <Route path="/" element={<Navigate to="/experiments" replace />} />
          <Route path="/experiments" element={<ExperimentsPage />} />
          <Route path="/experiments/new" element={<NewExperimentPage />} />
          <Route path="/experiments/:id" element={<ExperimentPage />} />
          <Route path="/experiments/:id/items" element={<EvalItemsPage />} />
          <Route path="/jobs/:id" element={<JobPage />} />
          <Route path="/datasets/:id" element={<DatasetPage />} />
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}
