import { amountShowsCode, formatAmount } from "../lib/format";

/** "$12.34 USD": the amount by its currency's minor unit, with the code once. */
export function Money({
  amount,
  currency,
  codeClassName = "ml-1 text-xs font-normal text-slate-400",
}: {
  amount: number;
  currency: string;
  codeClassName?: string;
}) {
  return (
    <>
      {formatAmount(amount, currency)}
      {!amountShowsCode(currency) && <span className={codeClassName}>{currency}</span>}
    </>
  );
}
