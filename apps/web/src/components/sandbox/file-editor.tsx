import type { FileInfo } from '@paddock/api';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { MutationError, QueryView } from '../states.tsx';

/** Files larger than this are not opened for editing. */
const MAX_EDIT_BYTES = 1024 * 1024;

/** A text file of the sandbox in a textarea; Save writes it back (mode kept). */
export function FileEditor({
  sandbox,
  file,
  onClose,
}: {
  sandbox: string;
  file: FileInfo;
  onClose: () => void;
}) {
  const { client, namespace } = useSession();
  const query = useQuery({
    queryKey: ['Sandbox', namespace, sandbox, 'file', file.path],
    queryFn: async () => {
      const bytes = await client.sandboxes.files.read(sandbox, file.path);
      try {
        return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), isText: true };
      } catch {
        return { text: '', isText: false };
      }
    },
    enabled: file.sizeBytes <= MAX_EDIT_BYTES,
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
  });
  const [text, setText] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (query.data?.isText && text === undefined) setText(query.data.text);
  }, [query.data, text]);

  const save = useMutation({
    mutationFn: (content: string) =>
      client.sandboxes.files.write(sandbox, file.path, content, {
        mode: (file.mode & 0o7777).toString(8).padStart(3, '0'),
      }),
  });
  const isDirty = text !== undefined && text !== query.data?.text && !save.isSuccess;
  const id = `editor-${file.path.replace(/[^A-Za-z0-9]/g, '-')}`;

  return (
    <section className="card file-editor" aria-labelledby={`${id}-heading`}>
      <div className="row">
        <h3 id={`${id}-heading`}>
          Editing <code>{file.path}</code>
        </h3>
        <button type="button" className="button small ghost" onClick={onClose}>
          Close editor
        </button>
      </div>
      {file.sizeBytes > MAX_EDIT_BYTES ? (
        <p className="muted">This file is too large to edit here; download it instead.</p>
      ) : (
        <QueryView query={query} what={`Opening ${file.name}`}>
          {(data) =>
            !data.isText ? (
              <p className="muted">This is not a UTF-8 text file; download it instead.</p>
            ) : (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  if (text !== undefined) save.mutate(text);
                }}
              >
                <label htmlFor={id} className="visually-hidden">
                  {file.name}
                </label>
                <textarea
                  id={id}
                  rows={18}
                  spellCheck={false}
                  value={text ?? data.text}
                  onChange={(e) => {
                    setText(e.target.value);
                    save.reset();
                  }}
                />
                <div className="row">
                  <button type="submit" className="button primary" disabled={save.isPending}>
                    {save.isPending ? 'Saving…' : 'Save'}
                  </button>
                  <span role="status" className="small">
                    {save.isSuccess ? 'Saved' : isDirty ? 'Unsaved changes' : ''}
                  </span>
                  <MutationError error={save.error} isInline />
                </div>
              </form>
            )
          }
        </QueryView>
      )}
    </section>
  );
}
