/**
 * Starts a browser download of `url` (a signed download link, answered with
 * `Content-Disposition: attachment`): the browser streams it to disk as it arrives, so a file of
 * any size never sits in the tab's memory. The link is short-lived and holds no credential of the
 * session; the anchor exists only for the click.
 */
export function startDownload(url: string, filename: string): void {
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  anchor.rel = 'noopener noreferrer';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}
