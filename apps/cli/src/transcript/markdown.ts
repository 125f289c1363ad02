import type { Style } from './style.ts';

/**
 * Minimal Markdown for a terminal, one line at a time (assistant text arrives in pieces): headings
 * bold, `code` spans and **bold** inline, fenced code blocks indented and dimmed (fences hidden),
 * bullet lists with a `•`. Without colour, lines pass through unchanged.
 */
export class MarkdownLines {
  readonly #style: Style;
  #isInFence = false;

  constructor(style: Style) {
    this.#style = style;
  }

  /** One complete line (without its newline) as it should be printed (without a newline). */
  render(line: string): string {
    const style = this.#style;
    if (!style.isColor) return line;
    if (/^\s*(```|~~~)/.test(line)) {
      this.#isInFence = !this.#isInFence;
      return style.dim(this.#isInFence ? '  ┌' : '  └');
    }
    if (this.#isInFence) return style.dim(`  │ ${line}`);
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) return style.bold(inline(heading[2] ?? '', style));
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) return `${bullet[1]}• ${inline(bullet[2] ?? '', style)}`;
    return inline(line, style);
  }
}

/** `code` spans and **bold** inside one line. */
function inline(text: string, style: Style): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) =>
      part.length > 2 && part.startsWith('`') && part.endsWith('`')
        ? style.code(part.slice(1, -1))
        : part.replace(/\*\*([^*]+)\*\*/g, (_, bold: string) => style.bold(bold)),
    )
    .join('');
}
