// Test support: the parts of the docs' Markdown that hold examples.

/** Fenced code blocks in a shell (or no) language, with the line each starts on. */
export function shellBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const fence = /^```([\w-]*)\n([\s\S]*?)^```/gm;
  for (const match of markdown.matchAll(fence)) {
    const language = match[1] ?? '';
    if (!['', 'sh', 'bash', 'shell', 'console'].includes(language)) continue;
    const line = markdown.slice(0, match.index).split('\n').length + 1;
    blocks.push({ line, text: match[2] ?? '' });
  }
  return blocks;
}

/** Markdown without its fenced code blocks and tables: the running text. */
export function prose(markdown: string): string {
  return markdown
    .replace(/^```[\w-]*\n[\s\S]*?^```/gm, '')
    .split('\n')
    .filter((line) => !line.startsWith('|'))
    .join('\n');
}

/** The text of each inline code span of `text`, with `\|` (a pipe escaped for a table) as `|`. */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => (m[1] ?? '').replaceAll('\\|', '|'));
}

/** The rows of the first table after the heading that starts with `heading`, as raw cells. */
export function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start === -1) return [];
  const rows: string[][] = [];
  let isInTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) {
      isInTable = true;
      const cells = line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim());
      if (!cells.every((cell) => /^:?-+:?$/.test(cell))) rows.push(cells);
    } else if (isInTable) break;
  }
  return rows.slice(1);
}
