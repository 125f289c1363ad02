import { useState } from 'react';

/** A fenced code block: its language, the code, and a Copy button that says when it copied. */
export function CodeBlock({ code, lang }: { code: string; lang?: string | undefined }) {
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const language = lang?.split(/\s/)[0] || 'text';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopyState('copied');
    } catch {
      setCopyState('failed');
    }
    setTimeout(() => setCopyState('idle'), 2000);
  };
  return (
    <div className="code-block">
      <div className="code-block-bar">
        <span className="code-lang">{language}</span>
        <button
          type="button"
          className="button ghost small"
          onClick={() => void copy()}
          aria-label={`Copy ${language} code`}
        >
          Copy
        </button>
        <span role="status" className="muted small">
          {copyState === 'copied' ? 'Copied' : copyState === 'failed' ? 'Copy failed' : ''}
        </span>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region keyboards must reach. */}
      <pre tabIndex={0}>
        <code>{code}</code>
      </pre>
    </div>
  );
}
