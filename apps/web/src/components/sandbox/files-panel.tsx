import type { DownloadKind, FileInfo } from '@paddock/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ChangeEvent, type FormEvent, useState } from 'react';
import { bytes } from '../../lib/format.ts';
import { useSession } from '../../lib/session.ts';
import { Empty, MutationError, QueryView } from '../states.tsx';
import { FileEditor } from './file-editor.tsx';
import { crumbsOf, isValidEntryName, joinPath, WORKSPACE } from './sandbox-paths.ts';
import { startDownload } from './start-download.ts';
import './files-panel.css';
import { RowDeleteButton } from '../row-delete-button.tsx';
import { TableFrame } from '../table-frame.tsx';

const byFolderThenName = (a: FileInfo, b: FileInfo) =>
  Number(b.type === 'directory') - Number(a.type === 'directory') || a.name.localeCompare(b.name);

/** Browse, upload, download, edit, create folders and delete in the sandbox's filesystem. */
export function FilesPanel({ name }: { name: string }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const [path, setPath] = useState(WORKSPACE);
  const [editing, setEditing] = useState<FileInfo | undefined>(undefined);
  const [folderName, setFolderName] = useState('');
  const [notice, setNotice] = useState('');
  const listKey = ['Sandbox', namespace, name, 'files', path];
  const query = useQuery({
    queryKey: listKey,
    queryFn: () => client.sandboxes.files.list(name, path),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: listKey });

  const open = (next: string) => {
    setPath(next);
    setEditing(undefined);
    setNotice('');
  };

  const upload = useMutation({
    mutationFn: async (files: File[]) => {
      for (const file of files) {
        const data = new Uint8Array(await file.arrayBuffer());
        await client.sandboxes.files.write(name, joinPath(path, file.name), data);
      }
      return files.map((f) => f.name);
    },
    onSuccess: (names) => setNotice(`Uploaded ${names.join(', ')}`),
    onSettled: refresh,
  });
  const mkdir = useMutation({
    mutationFn: (folder: string) => client.sandboxes.files.mkdir(name, joinPath(path, folder)),
    onSuccess: (_, folder) => {
      setFolderName('');
      setNotice(`Created folder ${folder}`);
    },
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (file: FileInfo) =>
      client.sandboxes.files.remove(name, file.path, { recursive: file.type === 'directory' }),
    onSuccess: (_, file) => {
      setNotice(`Deleted ${file.name}`);
      if (editing?.path === file.path) setEditing(undefined);
    },
    onSettled: refresh,
  });
  // Through a signed link the browser navigates to: the download streams to disk at once.
  const download = useMutation({
    mutationFn: async ({ at, kind }: { at: string; kind: DownloadKind }) => {
      const link = await client.sandboxes.files.downloadLink(name, at, { kind });
      startDownload(link.url, link.filename);
      return link.filename;
    },
    onSuccess: (fileName) => setNotice(`Downloading ${fileName}`),
  });

  const onUpload = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    if (files.length > 0) upload.mutate(files);
  };
  const onMkdir = (event: FormEvent) => {
    event.preventDefault();
    if (isValidEntryName(folderName)) mkdir.mutate(folderName);
  };
  const folderProblem =
    folderName && !isValidEntryName(folderName) ? 'A folder name cannot contain "/"' : undefined;

  return (
    <div className="files-panel">
      <nav aria-label="Folder path" className="crumbs">
        <ol>
          {crumbsOf(path).map((crumb, i, all) => (
            <li key={crumb.path}>
              {i === all.length - 1 ? (
                <span aria-current="location">{crumb.label}</span>
              ) : (
                <button
                  type="button"
                  className="button small ghost"
                  onClick={() => open(crumb.path)}
                >
                  {crumb.label}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <div className="row files-toolbar">
        <div className="field">
          <label htmlFor="file-upload">Upload file</label>
          <input
            id="file-upload"
            type="file"
            multiple
            onChange={onUpload}
            disabled={upload.isPending}
          />
        </div>
        <button
          type="button"
          className="button"
          onClick={() => download.mutate({ at: path, kind: 'archive' })}
          disabled={download.isPending}
        >
          Download folder as .tar
        </button>
        <form className="row new-folder" onSubmit={onMkdir}>
          <div className="field">
            <label htmlFor="new-folder-name">New folder</label>
            <input
              id="new-folder-name"
              value={folderName}
              placeholder="folder name"
              aria-invalid={folderProblem ? true : undefined}
              aria-describedby={folderProblem ? 'new-folder-problem' : undefined}
              onChange={(e) => setFolderName(e.target.value)}
            />
          </div>
          <button
            type="submit"
            className="button"
            disabled={!isValidEntryName(folderName) || mkdir.isPending}
          >
            Create folder
          </button>
          {folderProblem ? (
            <span id="new-folder-problem" className="form-error small">
              {folderProblem}
            </span>
          ) : null}
        </form>
      </div>
      <p role="status" className="small files-notice">
        {upload.isPending ? 'Uploading…' : notice}
      </p>
      <MutationError
        error={upload.error ?? mkdir.error ?? remove.error ?? download.error}
        isInline
      />
      <QueryView query={query} what={`Listing ${path}`}>
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="This folder is empty">Upload a file or create a folder.</Empty>
          ) : (
            <TableFrame label={`Files in ${path}`}>
              <table>
                <caption className="visually-hidden">Files in {path}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Size</th>
                    <th scope="col">Modified</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[...list.items].sort(byFolderThenName).map((file) => (
                    <tr key={file.path}>
                      <td>
                        {file.type === 'directory' ? (
                          <button
                            type="button"
                            className="link-button"
                            onClick={() => open(file.path)}
                            aria-label={`Open folder ${file.name}`}
                          >
                            <span aria-hidden="true">📁 </span>
                            {file.name}/
                          </button>
                        ) : (
                          <span>{file.name}</span>
                        )}
                      </td>
                      <td>{file.type === 'directory' ? '—' : bytes(file.sizeBytes)}</td>
                      <td>
                        <time dateTime={file.modifiedAt}>
                          {new Date(file.modifiedAt).toLocaleString()}
                        </time>
                      </td>
                      <td>
                        <div className="row file-actions">
                          {file.type === 'file' ? (
                            <>
                              <button
                                type="button"
                                className="button small"
                                aria-label={`Download ${file.name}`}
                                onClick={() => download.mutate({ at: file.path, kind: 'file' })}
                              >
                                Download
                              </button>
                              <button
                                type="button"
                                className="button small"
                                aria-label={`Edit ${file.name}`}
                                onClick={() => setEditing(file)}
                              >
                                Edit
                              </button>
                            </>
                          ) : null}
                          {file.type === 'directory' ? (
                            <button
                              type="button"
                              className="button small"
                              aria-label={`Download ${file.name} as .tar`}
                              onClick={() => download.mutate({ at: file.path, kind: 'archive' })}
                            >
                              Download .tar
                            </button>
                          ) : null}
                          <RowDeleteButton
                            item={file.name}
                            question={`Delete ${file.name}?`}
                            onConfirm={() => remove.mutate(file)}
                            isPending={remove.isPending}
                          />
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
          )
        }
      </QueryView>
      {editing ? (
        <FileEditor
          key={editing.path}
          sandbox={name}
          file={editing}
          onClose={() => {
            setEditing(undefined);
            void refresh();
          }}
        />
      ) : null}
    </div>
  );
}
