import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from './errors.ts';
import {
  formatLabelSelector,
  matchesLabels,
  parseLabelSelector,
  SelectorOperator,
} from './label-selector.ts';

function matches(selector: string, labels: Record<string, string> | undefined): boolean {
  return matchesLabels(parseLabelSelector(selector), labels);
}

function assertInvalid(selector: string, problem: RegExp): void {
  assert.throws(
    () => parseLabelSelector(selector),
    (error: unknown) => {
      assert.ok(isPaddockError(error, ErrorCode.ValidationFailed), String(error));
      assert.ok(error.message.includes(`"${selector}"`), `names the selector: ${error.message}`);
      assert.match(error.message, problem);
      assert.equal(error.details.selector, selector);
      return true;
    },
  );
}

describe('parseLabelSelector', () => {
  it('parses every requirement form into its operator and values', () => {
    const selector = parseLabelSelector(
      'a=b, c==d,e!=f,g in (x, y),h notin (z),exists,!missing,example.com/app=web',
    );
    assert.deepEqual(selector.requirements, [
      { key: 'a', operator: SelectorOperator.Equals, values: ['b'] },
      { key: 'c', operator: SelectorOperator.Equals, values: ['d'] },
      { key: 'e', operator: SelectorOperator.NotEquals, values: ['f'] },
      { key: 'g', operator: SelectorOperator.In, values: ['x', 'y'] },
      { key: 'h', operator: SelectorOperator.NotIn, values: ['z'] },
      { key: 'exists', operator: SelectorOperator.Exists, values: [] },
      { key: 'missing', operator: SelectorOperator.DoesNotExist, values: [] },
      { key: 'example.com/app', operator: SelectorOperator.Equals, values: ['web'] },
    ]);
  });

  it('treats an empty or blank selector as matching everything', () => {
    assert.deepEqual(parseLabelSelector('').requirements, []);
    assert.deepEqual(parseLabelSelector('   ').requirements, []);
    assert.equal(matches('', undefined), true);
    assert.equal(matches(' ', { a: 'b' }), true);
  });

  it('accepts an empty value after "=" and in a value set, as Kubernetes does', () => {
    assert.deepEqual(parseLabelSelector('a=').requirements, [
      { key: 'a', operator: SelectorOperator.Equals, values: [''] },
    ]);
    assert.deepEqual(parseLabelSelector('a in (x,)').requirements[0]?.values, ['x', '']);
  });

  it('rejects bad syntax with validation_failed naming the selector and the problem', () => {
    assertInvalid('a=b,', /expected a label key, found end of selector/);
    assertInvalid(',a', /expected a label key, found "," at position 0/);
    assertInvalid('a in ()', /value set of "a" must not be empty/);
    assertInvalid('a in x', /expected "\(" after the operator on "a"/);
    assertInvalid('a in (x', /in the value set of "a", found end of selector/);
    assertInvalid('a in (x y)', /found "y"/);
    assertInvalid('a b', /expected one of "=", "==", "!=", "in", "notin" after "a", found "b"/);
    assertInvalid('!a=b', /expected "," or end of selector, found "=" at position 2/);
    assertInvalid('a>1', /operator ">" is not supported/);
    assertInvalid('a=b=c', /expected "," or end of selector/);
    assertInvalid('-bad=x', /"-bad" is not a valid label key/);
    assertInvalid('a=not valid!', /expected "," or end of selector|is not a valid label value/);
    assertInvalid('a=-x', /"-x" is not a valid label value/);
    assertInvalid(`a=${'x'.repeat(64)}`, /is not a valid label value/);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'frontend', env: 'prod' };

  it('matches equality and inequality', () => {
    assert.equal(matches('app=web', labels), true);
    assert.equal(matches('app==web', labels), true);
    assert.equal(matches('app=db', labels), false);
    assert.equal(matches('app!=db', labels), true);
    assert.equal(matches('app!=web', labels), false);
  });

  it('matches "!=" and "notin" on objects lacking the label', () => {
    assert.equal(matches('owner!=alice', labels), true);
    assert.equal(matches('owner notin (alice)', labels), true);
    assert.equal(matches('owner!=alice', undefined), true);
  });

  it('matches set membership', () => {
    assert.equal(matches('env in (dev,prod)', labels), true);
    assert.equal(matches('env in (dev,staging)', labels), false);
    assert.equal(matches('env notin (dev,prod)', labels), false);
    assert.equal(matches('owner in (alice)', labels), false);
  });

  it('matches existence and absence', () => {
    assert.equal(matches('tier', labels), true);
    assert.equal(matches('owner', labels), false);
    assert.equal(matches('!owner', labels), true);
    assert.equal(matches('!tier', labels), false);
    assert.equal(matches('tier', undefined), false);
    assert.equal(matches('!tier', undefined), true);
  });

  it('requires every requirement (AND)', () => {
    assert.equal(matches('app=web,env in (prod),!owner', labels), true);
    assert.equal(matches('app=web,env in (dev)', labels), false);
  });

  it('does not match inherited properties as labels', () => {
    assert.equal(matches('constructor', {}), false);
    assert.equal(matches('!toString', {}), true);
  });
});

describe('formatLabelSelector', () => {
  it('writes a canonical form that parses back to the same selector', () => {
    const text = 'a=b,c!=d,e in (x,y),f notin (z),g,!h';
    const selector = parseLabelSelector(' a==b , c!=d, e in (x, y), f notin (z), g, !h ');
    assert.equal(formatLabelSelector(selector), text);
    assert.deepEqual(parseLabelSelector(formatLabelSelector(selector)), selector);
  });
});
