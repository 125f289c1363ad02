/** How text is painted: ANSI SGR sequences on a colour terminal, nothing otherwise. */
export type Style = {
  isColor: boolean;
  bold(text: string): string;
  dim(text: string): string;
  italic(text: string): string;
  /** An inline `code` span. */
  code(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
};

export function createStyle(isColor: boolean): Style {
  const sgr = (on: string, off: string) => (text: string) =>
    isColor && text !== '' ? `\x1b[${on}m${text}\x1b[${off}m` : text;
  return {
    isColor,
    bold: sgr('1', '22'),
    dim: sgr('2', '22'),
    italic: sgr('3', '23'),
    code: sgr('36', '39'),
    red: sgr('31', '39'),
    green: sgr('32', '39'),
    yellow: sgr('33', '39'),
    cyan: sgr('36', '39'),
  };
}
