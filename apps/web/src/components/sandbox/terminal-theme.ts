import type { ITheme } from '@xterm/xterm';
import { useEffect, useState } from 'react';

/** The terminal's colours from the page's CSS variables, so it follows the light/dark theme. */
function readTheme(): ITheme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    background: v('--code-bg'),
    foreground: v('--text'),
    cursor: v('--accent'),
    cursorAccent: v('--code-bg'),
    selectionBackground: v('--border'),
  };
}

/** The current terminal theme; changes when `data-theme` or the system preference changes. */
export function useTerminalTheme(): ITheme {
  const [theme, setTheme] = useState(readTheme);
  useEffect(() => {
    const update = () => setTheme(readTheme());
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', update);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', update);
    };
  }, []);
  return theme;
}
