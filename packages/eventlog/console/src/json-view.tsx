/** Pretty-printed, colored JSON, built as elements (never as HTML text, so nothing stored can inject markup). */

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Shows `value` as indented JSON with keys, strings, numbers and literals colored. */
export function JsonView({ value, testId }: { value: unknown; testId?: string }) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  const parts: preact.ComponentChildren[] = [];
  let last = 0;
  let key = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(text.slice(last, index));
    const [whole, string, colon, literal, number] = match;
    if (string !== undefined) {
      parts.push(
        <span key={key++} class={colon === undefined ? 'j-string' : 'j-key'}>
          {string}
        </span>,
      );
      if (colon !== undefined) parts.push(colon);
    } else if (literal !== undefined) {
      parts.push(
        <span key={key++} class="j-literal">
          {literal}
        </span>,
      );
    } else if (number !== undefined) {
      parts.push(
        <span key={key++} class="j-number">
          {number}
        </span>,
      );
    }
    last = index + whole.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return (
    <pre class="json" data-testid={testId}>
      {parts}
    </pre>
  );
}
