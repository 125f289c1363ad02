import { useState } from 'react';

/**
 * A secret shown once: read-only, selectable, with Copy. It lives only in the parent's state and
 * is dropped on "Done"; nothing stores it.
 */
export function SecretOnce({
  label,
  secret,
  onDone,
}: {
  label: string;
  secret: string;
  onDone: () => void;
}) {
  const [copyState, setCopyState] = useState('');
  return (
    <section className="card secret-once" aria-labelledby="secret-once-title">
      <h3 id="secret-once-title">{label}</h3>
      <p className="secret-warning">
        <strong>Copy it now.</strong> This is the only time it is shown; Paddock keeps only a hash.
      </p>
      <div className="row">
        <label htmlFor="secret-once-value" className="visually-hidden">
          New API key
        </label>
        <input
          id="secret-once-value"
          className="mono secret-value"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          className="button primary"
          onClick={() => {
            navigator.clipboard.writeText(secret).then(
              () => setCopyState('Copied to the clipboard.'),
              () => setCopyState('Copy failed: select the key and copy it by hand.'),
            );
          }}
        >
          Copy
        </button>
        <button type="button" className="button ghost" onClick={onDone}>
          Done
        </button>
      </div>
      <p role="status" className="muted small">
        {copyState}
      </p>
    </section>
  );
}
