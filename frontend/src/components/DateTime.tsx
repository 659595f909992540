const short = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const withSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

interface DateTimeProps {
  value?: string | null;
  /** What to show when there is no timestamp. */
  empty?: string;
  /** Show seconds (the audit log). */
  seconds?: boolean;
}

/** A server timestamp shown in local time, with the exact instant on hover. */
export function DateTime({ value, empty = '—', seconds = false }: DateTimeProps) {
  if (!value) return <>{empty}</>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <>{value}</>;
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {(seconds ? withSeconds : short).format(date)}
    </time>
  );
}

/** Turns an <input type="datetime-local"> value (local time) into RFC 3339. */
export function localInputToISO(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
