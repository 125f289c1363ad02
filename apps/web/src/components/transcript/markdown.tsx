// biome-ignore-all lint/suspicious/noArrayIndexKey: markdown tokens have no identity but their position.
import { marked, type Token, type Tokens } from 'marked';
import { type ReactNode, useMemo } from 'react';
import { CodeBlock } from './code-block.tsx';

/**
 * Markdown from model output, rendered by walking `marked.lexer` tokens into React elements —
 * never through HTML strings. Raw HTML shows as text; links open only http(s) targets; images are
 * shown as links (a transcript never loads remote content by itself). Headings start at level 3,
 * below the page's h1 and the transcript's h2.
 */
export function Markdown({ text }: { text: string }) {
  const tokens = useMemo(() => marked.lexer(text, { gfm: true }), [text]);
  return <div className="markdown">{blocks(tokens)}</div>;
}

function blocks(tokens: readonly Token[]): ReactNode[] {
  return tokens.map((token, i) => block(token, i));
}

function block(token: Token, key: number): ReactNode {
  const t = token as Tokens.Generic;
  switch (t.type) {
    case 'space':
    case 'def':
      return null;
    case 'heading': {
      const h = token as Tokens.Heading;
      const level = Math.min(6, h.depth + 2);
      const Tag = `h${level}` as 'h3' | 'h4' | 'h5' | 'h6';
      return (
        <Tag key={key} className="md-heading">
          {inlines(h.tokens)}
        </Tag>
      );
    }
    case 'paragraph':
      return <p key={key}>{inlines((token as Tokens.Paragraph).tokens)}</p>;
    case 'code': {
      const code = token as Tokens.Code;
      return <CodeBlock key={key} code={code.text} lang={code.lang} />;
    }
    case 'blockquote':
      return <blockquote key={key}>{blocks((token as Tokens.Blockquote).tokens)}</blockquote>;
    case 'hr':
      return <hr key={key} />;
    case 'list': {
      const list = token as Tokens.List;
      const items = list.items.map((item, j) => <li key={j}>{listItem(item)}</li>);
      if (list.ordered) {
        return (
          <ol key={key} start={typeof list.start === 'number' ? list.start : undefined}>
            {items}
          </ol>
        );
      }
      return <ul key={key}>{items}</ul>;
    }
    case 'table':
      return <MarkdownTable key={key} table={token as Tokens.Table} />;
    case 'html':
      return (
        <p key={key} className="md-raw">
          {t.raw}
        </p>
      );
    case 'text':
      return <p key={key}>{t.tokens ? inlines(t.tokens) : decode(String(t.text))}</p>;
    default:
      return t.tokens ? <div key={key}>{blocks(t.tokens)}</div> : <p key={key}>{t.raw}</p>;
  }
}

function listItem(item: Tokens.ListItem): ReactNode {
  return item.tokens.map((token, i) => {
    const t = token as Tokens.Generic;
    if (t.type === 'checkbox') {
      return (
        <span key={i} className="md-task" role="img" aria-label={t.checked ? 'done' : 'not done'}>
          {t.checked ? '☑ ' : '☐ '}
        </span>
      );
    }
    // Tight lists hold inline `text` tokens directly; loose ones hold paragraphs.
    if (t.type === 'text' && !item.loose) {
      return <span key={i}>{t.tokens ? inlines(t.tokens) : decode(String(t.text))}</span>;
    }
    return block(token, i);
  });
}

function MarkdownTable({ table }: { table: Tokens.Table }) {
  return (
    <div className="table-wrap md-table">
      <table>
        <thead>
          <tr>
            {table.header.map((cell, i) => (
              <th key={i} scope="col" style={{ textAlign: cell.align ?? undefined }}>
                {inlines(cell.tokens)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c} style={{ textAlign: cell.align ?? undefined }}>
                  {inlines(cell.tokens)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function inlines(tokens: readonly Token[] | undefined): ReactNode[] {
  return (tokens ?? []).map((token, i) => inline(token, i));
}

function inline(token: Token, key: number): ReactNode {
  const t = token as Tokens.Generic;
  switch (t.type) {
    case 'text':
      return t.tokens ? (
        <span key={key}>{inlines(t.tokens)}</span>
      ) : (
        <span key={key}>{decode(String(t.text))}</span>
      );
    case 'escape':
      return <span key={key}>{String(t.text)}</span>;
    case 'strong':
      return <strong key={key}>{inlines(t.tokens)}</strong>;
    case 'em':
      return <em key={key}>{inlines(t.tokens)}</em>;
    case 'del':
      return <del key={key}>{inlines(t.tokens)}</del>;
    case 'codespan':
      return <code key={key}>{decode(String(t.text))}</code>;
    case 'br':
      return <br key={key} />;
    case 'link': {
      const link = token as Tokens.Link;
      const href = safeHref(link.href);
      if (!href) return <span key={key}>{inlines(link.tokens)}</span>;
      return (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer">
          {inlines(link.tokens)}
        </a>
      );
    }
    case 'image': {
      const image = token as Tokens.Image;
      const href = safeHref(image.href);
      const label = `image: ${image.text || image.href}`;
      if (!href) return <span key={key}>[{label}]</span>;
      return (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer">
          [{label}]
        </a>
      );
    }
    case 'html':
      return (
        <span key={key} className="md-raw">
          {t.raw}
        </span>
      );
    default:
      return <span key={key}>{t.tokens ? inlines(t.tokens) : t.raw}</span>;
  }
}

/** The link target when it is an absolute http(s) URL; undefined for anything else. */
export function safeHref(href: string): string | undefined {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/** Character references in text tokens (`&amp;`, `&#39;`, `&#x2014;`) as the characters. */
function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}
