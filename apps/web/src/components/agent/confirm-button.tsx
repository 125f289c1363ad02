import { useState } from 'react';

/**
 * A destructive action in two steps, inside the page (no browser dialog): the first press asks,
 * "Confirm …" does it, "Keep" backs out. The question is announced.
 */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  isPending = false,
  className = 'button danger',
  keepLabel = 'Keep',
  accessibleName,
}: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void;
  isPending?: boolean;
  className?: string;
  keepLabel?: string;
  /** A fuller name for the first button, e.g. "Delete my-agent" in a table of many. */
  accessibleName?: string;
}) {
  const [isAsking, setAsking] = useState(false);
  if (!isAsking) {
    return (
      <button
        type="button"
        className={className}
        onClick={() => setAsking(true)}
        disabled={isPending}
        aria-label={accessibleName}
      >
        {isPending ? `${label}…` : label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <span role="status" className="small">
        {question}
      </span>
      <button
        type="button"
        className="button danger small"
        // biome-ignore lint/a11y/noAutofocus: focus moves to the question's answer.
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="button ghost small" onClick={() => setAsking(false)}>
        {keepLabel}
      </button>
    </span>
  );
}
