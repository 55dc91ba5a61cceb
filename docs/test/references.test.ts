import { describe, expect, it } from 'vitest';
import { cliReference, markdownText } from '../scripts/generate-references.js';

describe('the generated CLI reference', () => {
  it('given a description with <dir>, then the page shows it as text, not as an HTML tag', () => {
    expect(markdownText('Archive into <dir> & list')).toBe('Archive into &lt;dir&gt; &amp; list');
    const prose = cliReference()
      .split(/```text[\s\S]*?```/)
      .join('');
    expect(prose.match(/<(?!!--)[a-z][^>]*>/g) ?? []).toEqual([]);
  });
});
