// Recharts wrappers: animations off, so a 2-second refresh never makes the charts jump.

import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { Metrics, PaymentStatus } from "../api/types";
import { PAYMENT_STATUSES } from "../api/types";
import { formatTime } from "../lib/format";
import { STATUS_COLORS } from "./StatusBadge";

const METHOD_COLORS: Record<string, string> = {
  card: "#6366f1",
  upi: "#14b8a6",
  wallet: "#f59e0b",
};
const FALLBACK_COLORS = ["#8b5cf6", "#ec4899", "#64748b"];
const AXIS = { fontSize: 11, fill: "#64748b" };
const TOOLTIP_STYLE = {
  borderRadius: 8,
  border: "1px solid #e2e8f0",
  fontSize: 12,
  boxShadow: "0 4px 12px rgb(15 23 42 / 0.08)",
};

export function PaymentsPerMinuteChart({ data }: { data: Metrics["payments_per_minute"] }) {
  const rows = data.map((d) => ({ ...d, label: formatTime(d.minute).slice(0, 5) }));
  return (
    <div
      className="h-56"
      data-testid="chart-per-minute"
      role="img"
      aria-label={`Payments per minute over the last ${rows.length} minutes`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="#f1f5f9" vertical={false} />
          <XAxis dataKey="label" tick={AXIS} tickLine={false} axisLine={false} minTickGap={24} />
          <YAxis allowDecimals={false} tick={AXIS} tickLine={false} axisLine={false} width={40} />
          <Tooltip
            contentStyle={TOOLTIP_STYLE}
            cursor={{ fill: "#eef2ff" }}
            formatter={(v) => [v, "payments"]}
            labelFormatter={(l) => (typeof l === "string" ? `minute ${l}` : l)}
          />
          <Bar
            dataKey="count"
            fill="#6366f1"
            radius={[3, 3, 0, 0]}
            maxBarSize={22}
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function StatusDistributionChart({ counts }: { counts: Record<PaymentStatus, number> }) {
  const rows = PAYMENT_STATUSES.map((s) => ({ status: s, count: counts[s] ?? 0 }));
  return (
    <div
      className="h-56"
      data-testid="chart-status"
      role="img"
      aria-label={rows.map((r) => `${r.status} ${r.count}`).join(", ")}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#f1f5f9" horizontal={false} />
          <XAxis
            type="number"
            allowDecimals={false}
            tick={AXIS}
            tickLine={false}
            axisLine={false}
          />
          <YAxis
            type="category"
            dataKey="status"
            tick={AXIS}
            tickLine={false}
            axisLine={false}
            width={84}
          />
          <Tooltip
            contentStyle={TOOLTIP_STYLE}
            cursor={{ fill: "#f8fafc" }}
            formatter={(v) => [v, "payments"]}
          />
          <Bar dataKey="count" radius={[0, 4, 4, 0]} barSize={18} isAnimationActive={false}>
            {rows.map((r) => (
              <Cell key={r.status} fill={STATUS_COLORS[r.status]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function MethodDistributionChart({
  distribution,
}: {
  distribution: Record<string, number>;
}) {
  const rows = Object.entries(distribution).map(([method, count]) => ({ method, count }));
  const total = rows.reduce((a, r) => a + r.count, 0);
  const color = (m: string, i: number) =>
    METHOD_COLORS[m] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length];
  return (
    <div
      className="flex h-56 items-center gap-4"
      data-testid="chart-methods"
      role="img"
      aria-label={rows.map((r) => `${r.method} ${r.count}`).join(", ")}
    >
      <div className="h-full min-w-0 flex-1">
        <ResponsiveContainer width="100%" height="100%">
          <PieChart>
            <Pie
              data={total ? rows : [{ method: "none", count: 1 }]}
              dataKey="count"
              nameKey="method"
              innerRadius="58%"
              outerRadius="88%"
              paddingAngle={total ? 2 : 0}
              stroke="none"
              isAnimationActive={false}
            >
              {total ? (
                rows.map((r, i) => <Cell key={r.method} fill={color(r.method, i)} />)
              ) : (
                <Cell fill="#e2e8f0" />
              )}
            </Pie>
            {total > 0 && <Tooltip contentStyle={TOOLTIP_STYLE} />}
          </PieChart>
        </ResponsiveContainer>
      </div>
      <ul className="w-32 shrink-0 space-y-2 text-sm">
        {rows.map((r, i) => (
          <li key={r.method} className="flex items-center gap-2">
            <span className="size-2.5 rounded-sm" style={{ background: color(r.method, i) }} />
            <span className="flex-1 text-slate-600 uppercase">{r.method}</span>
            <span className="font-medium tabular-nums text-slate-900">{r.count}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
