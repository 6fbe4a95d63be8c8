// The one format every date on screen is shown in. With seconds: webhook events and
// message statuses arrive seconds apart, and their order must be readable.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A moment as people read it, with the machine-readable value beside it. */
export function DateTime({ iso, className }: { iso: string; className?: string }) {
  return (
    <time className={className} dateTime={iso}>
      {dateTime.format(new Date(iso))}
    </time>
  );
}
