import { useMutation } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { MutationError } from '../states.tsx';

/** A message to an interactive run: Enter sends, Shift+Enter starts a new line. */
export function MessageBox({ runName }: { runName: string }) {
  const { client } = useSession();
  const [text, setText] = useState('');
  const send = useMutation({
    mutationFn: (message: string) => client.runs.send(runName, message),
    onSuccess: () => setText(''),
  });
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (text.trim() === '' || send.isPending) return;
    send.mutate(text);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };
  return (
    <form className="message-box" onSubmit={submit}>
      <label htmlFor="run-message">Message</label>
      <div className="message-row">
        <textarea
          id="run-message"
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby="run-message-hint"
          placeholder="Reply to the agent…"
        />
        <button type="submit" className="button primary" disabled={send.isPending || !text.trim()}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
      </div>
      <p id="run-message-hint" className="muted small">
        Enter sends; Shift+Enter starts a new line.
      </p>
      <MutationError error={send.error} />
    </form>
  );
}
