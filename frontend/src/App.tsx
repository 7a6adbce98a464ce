import { KeyRound } from "lucide-react";
import { ApiKeyForm } from "./components/ApiKeyControl";
import { Layout } from "./components/Layout";
import { Card, EmptyState, Spinner } from "./components/ui";
import { useApiKey } from "./hooks/useApiKey";
import { DevConfigProvider, useDevConfig } from "./hooks/useDevConfig";
import { SimulatorProvider } from "./hooks/useSimulator";
import { Link, useRoute } from "./lib/router";
import { EventsPage } from "./pages/Events";
import { DisputesPage, RefundsPage } from "./pages/MoneyLists";
import { NewPaymentPage } from "./pages/NewPayment";
import { OverviewPage } from "./pages/Overview";
import { PaymentDetailPage } from "./pages/PaymentDetail";
import { PaymentsPage } from "./pages/Payments";
import { SimulatorPage } from "./pages/Simulator";
import { WebhooksPage } from "./pages/Webhooks";

function KeyGate() {
  return (
    <div className="mx-auto max-w-md pt-10">
      <Card>
        <div className="mb-4 flex items-center gap-3">
          <span className="grid size-10 place-items-center rounded-full bg-indigo-50 text-indigo-600">
            <KeyRound className="size-5" aria-hidden />
          </span>
          <div>
            <h1 className="text-base font-semibold">Enter your API key</h1>
            <p className="text-sm text-slate-500">The dashboard calls the paygate API with it.</p>
          </div>
        </div>
        <ApiKeyForm autoFocus />
      </Card>
    </div>
  );
}

function Routes() {
  const route = useRoute();
  const key = useApiKey();
  const { loaded } = useDevConfig();
  const [first, second] = route.segments;
  const section = first ?? "";

  let page;
  if (!key) {
    page = loaded ? <KeyGate /> : <Spinner label="Connecting…" className="p-6" />;
  } else if (!first) {
    page = <OverviewPage />;
  } else if (first === "payments" && second) {
    page = <PaymentDetailPage id={second} />;
  } else if (first === "payments") {
    page = <PaymentsPage query={route.query} />;
  } else if (first === "refunds") {
    page = <RefundsPage query={route.query} />;
  } else if (first === "disputes") {
    page = <DisputesPage query={route.query} />;
  } else if (first === "new") {
    page = <NewPaymentPage />;
  } else if (first === "webhooks") {
    page = <WebhooksPage />;
  } else if (first === "events") {
    page = <EventsPage query={route.query} />;
  } else if (first === "simulator") {
    page = <SimulatorPage />;
  } else {
    page = (
      <EmptyState title="Page not found">
        Nothing lives at <code>{route.path}</code>.{" "}
        <Link to="/" className="text-indigo-600 hover:underline">
          Back to the overview
        </Link>
      </EmptyState>
    );
  }
  return <Layout section={section}>{page}</Layout>;
}

export function App() {
  return (
    <DevConfigProvider>
      <SimulatorProvider>
        <Routes />
      </SimulatorProvider>
    </DevConfigProvider>
  );
}
