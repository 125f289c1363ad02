import { type ReactNode, useState } from 'react';

/**
 * The danger button that deletes (or revokes) one row of a table. With a `question` it asks
 * first, inside the row: the question, "Confirm delete" and "Keep"; without, one press acts.
 * Accessible names carry the row's item ("Delete volume shared", "Confirm delete of notes.txt"),
 * as a table holds many such buttons.
 */
export function RowDeleteButton({
  item,
  verb = 'Delete',
  question,
  onConfirm,
  isPending = false,
  isDisabled = false,
  error,
}: {
  /** What the row is, as its buttons name it: `volume shared`, `notes.txt`. */
  item: string;
  /** The action's word: `Delete` (default) or `Revoke`. */
  verb?: string;
  /** Asked before acting (`Delete notes.txt?`); none: one press acts. */
  question?: ReactNode;
  onConfirm: () => void;
  isPending?: boolean;
  isDisabled?: boolean;
  /** Shown beside the question while it is asked (the mutation's error). */
  error?: ReactNode;
}) {
  const [isAsking, setAsking] = useState(false);
  if (question === undefined || !isAsking) {
    return (
      <button
        type="button"
        className="button small danger"
        aria-label={`${verb} ${item}`}
        disabled={isDisabled || (question === undefined && isPending)}
        onClick={() => (question === undefined ? onConfirm() : setAsking(true))}
      >
        {verb}
      </button>
    );
  }
  return (
    <span className="row revoke-confirm">
      <span role="status">{question}</span>
      <button
        type="button"
        className="button small danger"
        aria-label={`Confirm ${verb.toLowerCase()} of ${item}`}
        disabled={isPending}
        onClick={onConfirm}
      >
        Confirm {verb.toLowerCase()}
      </button>
      <button
        type="button"
        className="button small ghost"
        aria-label={`Keep ${item}`}
        onClick={() => setAsking(false)}
      >
        Keep
      </button>
      {error}
    </span>
  );
}
