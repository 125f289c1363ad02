import { ErrorCode, PaddockError } from './errors.ts';
import { LabelKey, LabelValue } from './metadata.ts';

/** The operators of a label requirement: Kubernetes' set-based ones plus equality. */
export const SelectorOperator = {
  Equals: 'Equals',
  NotEquals: 'NotEquals',
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
} as const;
export type SelectorOperator = (typeof SelectorOperator)[keyof typeof SelectorOperator];

/**
 * One requirement of a selector. `values` holds one value for `Equals`/`NotEquals`, at least one
 * for `In`/`NotIn`, and none for `Exists`/`DoesNotExist`.
 */
export type LabelRequirement = {
  key: string;
  operator: SelectorOperator;
  values: readonly string[];
};

/** A parsed label selector: every requirement must hold (AND). No requirement matches everything. */
export type LabelSelector = { requirements: readonly LabelRequirement[] };

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '<' | '>'; at: number }
  | { type: 'end'; at: number };

const SYMBOLS = ['==', '!=', '=', '!', '(', ')', ',', '<', '>'] as const;
const WORD_END = /[\s=!(),<>]/;

function fail(text: string, problem: string): never {
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `invalid label selector "${text}": ${problem}`,
    {
      selector: text,
      issues: [{ path: 'labelSelector', message: problem }],
    },
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol !== undefined) {
      tokens.push({ type: 'op', text: symbol, at: i });
      i += symbol.length;
      continue;
    }
    let end = i;
    while (end < text.length && !WORD_END.test(text.charAt(end))) end += 1;
    tokens.push({ type: 'word', text: text.slice(i, end), at: i });
    i = end;
  }
  tokens.push({ type: 'end', at: text.length });
  return tokens;
}

function describeToken(token: Token): string {
  return token.type === 'end' ? 'end of selector' : `"${token.text}" at position ${token.at}`;
}

/** A recursive-descent parser over the grammar of k8s.io/apimachinery/pkg/labels. */
class Parser {
  readonly text: string;
  readonly tokens: Token[];
  position = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  peek(): Token {
    return this.tokens[this.position] ?? { type: 'end', at: this.text.length };
  }

  take(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.position += 1;
    return token;
  }

  parse(): LabelSelector {
    const requirements: LabelRequirement[] = [];
    if (this.peek().type === 'end') return { requirements };
    for (;;) {
      requirements.push(this.requirement());
      const next = this.take();
      if (next.type === 'end') return { requirements };
      if (next.type !== 'op' || next.text !== ',') {
        fail(this.text, `expected "," or end of selector, found ${describeToken(next)}`);
      }
    }
  }

  requirement(): LabelRequirement {
    const first = this.peek();
    const isNegated = first.type === 'op' && first.text === '!';
    if (isNegated) this.take();
    const key = this.key();
    if (isNegated) return { key, operator: SelectorOperator.DoesNotExist, values: [] };
    const next = this.peek();
    if (next.type === 'end' || (next.type === 'op' && next.text === ',')) {
      return { key, operator: SelectorOperator.Exists, values: [] };
    }
    this.take();
    if (next.type === 'word' && (next.text === 'in' || next.text === 'notin')) {
      const operator = next.text === 'in' ? SelectorOperator.In : SelectorOperator.NotIn;
      return { key, operator, values: this.valueSet(key) };
    }
    if (next.type === 'op' && (next.text === '=' || next.text === '==' || next.text === '!=')) {
      const operator = next.text === '!=' ? SelectorOperator.NotEquals : SelectorOperator.Equals;
      return { key, operator, values: [this.exactValue()] };
    }
    if (next.type === 'op' && (next.text === '<' || next.text === '>')) {
      fail(this.text, `operator "${next.text}" is not supported for labels`);
    }
    return fail(
      this.text,
      `expected one of "=", "==", "!=", "in", "notin" after "${key}", found ${describeToken(next)}`,
    );
  }

  key(): string {
    const token = this.take();
    if (token.type !== 'word')
      fail(this.text, `expected a label key, found ${describeToken(token)}`);
    if (!LabelKey.safeParse(token.text).success) {
      fail(this.text, `"${token.text}" is not a valid label key`);
    }
    return token.text;
  }

  exactValue(): string {
    const token = this.peek();
    if (token.type === 'end' || (token.type === 'op' && token.text === ',')) return '';
    this.take();
    if (token.type !== 'word')
      fail(this.text, `expected a label value, found ${describeToken(token)}`);
    return this.value(token.text);
  }

  valueSet(key: string): string[] {
    const open = this.take();
    if (open.type !== 'op' || open.text !== '(') {
      fail(this.text, `expected "(" after the operator on "${key}", found ${describeToken(open)}`);
    }
    const values: string[] = [];
    let isExpectingValue = true;
    for (;;) {
      const token = this.take();
      if (token.type === 'op' && token.text === ')') {
        if (values.length === 0) fail(this.text, `the value set of "${key}" must not be empty`);
        if (isExpectingValue) values.push('');
        return values;
      }
      if (token.type === 'op' && token.text === ',') {
        if (isExpectingValue) values.push('');
        isExpectingValue = true;
        continue;
      }
      if (token.type === 'word' && isExpectingValue) {
        values.push(this.value(token.text));
        isExpectingValue = false;
        continue;
      }
      fail(
        this.text,
        `expected a value, "," or ")" in the value set of "${key}", found ${describeToken(token)}`,
      );
    }
  }

  value(text: string): string {
    if (!LabelValue.safeParse(text).success)
      fail(this.text, `"${text}" is not a valid label value`);
    return text;
  }
}

/**
 * Parses Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
 * `a` (exists), `!a` (does not exist), joined by `,` (AND). An empty selector matches everything.
 * Throws `validation_failed` naming the selector and the problem.
 */
export function parseLabelSelector(text: string): LabelSelector {
  return new Parser(text).parse();
}

/**
 * Whether `labels` satisfy every requirement. As in Kubernetes, `!=` and `notin` also match an
 * object that lacks the label.
 */
export function matchesLabels(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return selector.requirements.every((requirement) =>
    matchesRequirement(requirement, labels ?? {}),
  );
}

function matchesRequirement(
  requirement: LabelRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const hasKey = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case SelectorOperator.Equals:
    case SelectorOperator.In:
      return hasKey && value !== undefined && requirement.values.includes(value);
    case SelectorOperator.NotEquals:
    case SelectorOperator.NotIn:
      return !hasKey || value === undefined || !requirement.values.includes(value);
    case SelectorOperator.Exists:
      return hasKey;
    case SelectorOperator.DoesNotExist:
      return !hasKey;
  }
}

/** Writes a selector back in canonical text form (`a=b,c in (x,y),!d`), parseable again. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector.requirements
    .map(({ key, operator, values }) => {
      switch (operator) {
        case SelectorOperator.Equals:
          return `${key}=${values[0] ?? ''}`;
        case SelectorOperator.NotEquals:
          return `${key}!=${values[0] ?? ''}`;
        case SelectorOperator.In:
          return `${key} in (${values.join(',')})`;
        case SelectorOperator.NotIn:
          return `${key} notin (${values.join(',')})`;
        case SelectorOperator.Exists:
          return key;
        case SelectorOperator.DoesNotExist:
          return `!${key}`;
        default: {
          const unknown: never = operator;
          return unknown;
        }
      }
    })
    .join(',');
}
