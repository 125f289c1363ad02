import './usage-bar.css';

/** How full a usage bar is: warn from 80 %, bad at or over the limit. */
export function barLevel(used: number, limit: number): '' | 'warn' | 'bad' {
  if (limit <= 0) return used > 0 ? 'bad' : '';
  const ratio = used / limit;
  if (ratio >= 1) return 'bad';
  if (ratio >= 0.8) return 'warn';
  return '';
}

/**
 * Usage against a limit: a `.bar` with its text beside it ("3 of 5 sandboxes"). The text carries
 * the numbers, so the bar itself is hidden from screen readers; colour is never the only signal
 * (an "at limit" note follows the text when the limit is reached).
 */
export function UsageBar({
  used,
  limit,
  text,
  kind = 'limit',
}: {
  used: number;
  limit: number | undefined;
  text: string;
  /** `limit`: filling up is a warning; `fill`: a full bar is the goal (a warm pool). */
  kind?: 'limit' | 'fill';
}) {
  if (limit === undefined) {
    return (
      <div className="usage-bar">
        <span>{text}</span> <span className="muted small">(no limit)</span>
      </div>
    );
  }
  const level = kind === 'limit' ? barLevel(used, limit) : '';
  const percent = limit > 0 ? Math.min(100, (used / limit) * 100) : used > 0 ? 100 : 0;
  return (
    <div className="usage-bar">
      <div className={level ? `bar ${level}` : 'bar'} aria-hidden="true">
        <span style={{ width: `${percent}%` }} />
      </div>
      <span>
        {text}
        {level === 'bad' ? <strong className="usage-limit"> — at limit</strong> : null}
      </span>
    </div>
  );
}
