import {
  CreditCard,
  FlaskConical,
  Gavel,
  LayoutDashboard,
  List,
  Plus,
  ScrollText,
  Undo2,
  Webhook,
} from "lucide-react";
import type { ReactNode } from "react";
import { useDevConfig } from "../hooks/useDevConfig";
import { Link } from "../lib/router";
import { ApiKeyControl } from "./ApiKeyControl";
import { ConnectionBanner } from "./ConnectionBanner";
import { SimulatorBanner } from "./SimulatorBanner";
import { cx } from "./ui";

export const NAV = [
  { to: "/", label: "Overview", short: "Overview", icon: LayoutDashboard, section: "" },
  { to: "/payments", label: "Payments", short: "Payments", icon: List, section: "payments" },
  { to: "/refunds", label: "Refunds", short: "Refunds", icon: Undo2, section: "refunds" },
  { to: "/disputes", label: "Disputes", short: "Disputes", icon: Gavel, section: "disputes" },
  { to: "/new", label: "New payment", short: "New", icon: Plus, section: "new" },
  { to: "/webhooks", label: "Webhooks", short: "Webhooks", icon: Webhook, section: "webhooks" },
  { to: "/events", label: "Events", short: "Events", icon: ScrollText, section: "events" },
  {
    to: "/simulator",
    label: "Simulator",
    short: "Simulator",
    icon: FlaskConical,
    section: "simulator",
  },
] as const;

function Logo({ dark }: { dark?: boolean }) {
  return (
    <Link
      to="/"
      className="flex items-center gap-2 rounded-md focus-visible:outline-2 focus-visible:outline-indigo-400"
    >
      <span className="grid size-7 place-items-center rounded-lg bg-indigo-500 text-white shadow-sm">
        <CreditCard className="size-4" aria-hidden />
      </span>
      <span
        className={cx(
          "text-[0.95rem] font-semibold tracking-tight",
          dark ? "text-white" : "text-slate-900",
        )}
      >
        paygate
      </span>
    </Link>
  );
}

function EnvBadge() {
  const { config } = useDevConfig();
  if (!config) return null;
  return (
    <span className="rounded-md bg-amber-400/15 px-1.5 py-0.5 text-[0.625rem] font-semibold tracking-wider text-amber-300 uppercase ring-1 ring-amber-400/30">
      {config.environment} mode
    </span>
  );
}

export function Layout({ section, children }: { section: string; children: ReactNode }) {
  return (
    <div className="min-h-dvh lg:pl-56">
      <a
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById("main")?.focus();
        }}
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      {/* sidebar (desktop) */}
      <aside className="fixed inset-y-0 left-0 z-20 hidden w-56 flex-col bg-slate-900 lg:flex">
        <div className="flex h-14 items-center gap-2 px-4">
          <Logo dark />
          <EnvBadge />
        </div>
        <nav aria-label="Main" className="flex-1 space-y-0.5 px-2 py-2">
          {NAV.map((item) => {
            const active = item.section === section;
            return (
              <Link
                key={item.to}
                to={item.to}
                aria-current={active ? "page" : undefined}
                className={cx(
                  "flex items-center gap-2.5 rounded-lg px-3 py-2 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-indigo-400",
                  active
                    ? "bg-white/10 text-white"
                    : "text-slate-400 hover:bg-white/5 hover:text-slate-200",
                )}
              >
                <item.icon className="size-4 shrink-0" aria-hidden />
                {item.label}
              </Link>
            );
          })}
        </nav>
        <div className="border-t border-white/10 p-3">
          <ApiKeyControl dark />
        </div>
      </aside>

      {/* top bar (phone, tablet) */}
      <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/90 backdrop-blur lg:hidden">
        <div className="flex h-12 items-center justify-between gap-2 px-4">
          <Logo />
          <div className="w-40">
            <ApiKeyControl />
          </div>
        </div>
        <nav aria-label="Main" className="grid grid-cols-3 gap-1 px-2 pb-2 md:grid-cols-8">
          {NAV.map((item) => {
            const active = item.section === section;
            return (
              <Link
                key={item.to}
                to={item.to}
                aria-current={active ? "page" : undefined}
                className={cx(
                  "flex items-center justify-center gap-1.5 rounded-md px-2 py-1.5 text-sm font-medium whitespace-nowrap",
                  active ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100",
                )}
              >
                <item.icon className="size-3.5 shrink-0" aria-hidden />
                <span className="md:hidden">{item.short}</span>
                <span className="hidden md:inline">{item.label}</span>
              </Link>
            );
          })}
        </nav>
      </header>

      <div className="sticky top-0 z-10 lg:top-0">
        <ConnectionBanner />
        <SimulatorBanner />
      </div>
      <main
        id="main"
        tabIndex={-1}
        className="mx-auto max-w-7xl px-4 py-6 outline-none sm:px-6 lg:px-8"
      >
        {children}
      </main>
    </div>
  );
}
