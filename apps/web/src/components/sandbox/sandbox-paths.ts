/** Where the files browser opens. */
export const WORKSPACE = '/workspace';

/** `dir` joined with one name: `/workspace` + `a.txt` → `/workspace/a.txt`. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The crumbs of an absolute path: `/a/b` → `/`, `/a`, `/a/b` with their labels. */
export function crumbsOf(path: string): Array<{ path: string; label: string }> {
  const parts = path.split('/').filter(Boolean);
  return [
    { path: '/', label: '/' },
    ...parts.map((part, i) => ({ path: `/${parts.slice(0, i + 1).join('/')}`, label: part })),
  ];
}

/** A folder name is one path segment: not empty, no `/`, not `.` or `..`. */
export function isValidEntryName(name: string): boolean {
  return (
    name.length > 0 && !name.includes('/') && !name.includes('\0') && name !== '.' && name !== '..'
  );
}
