// Counts in words with the language's plural rules ("1 session", "0 sessions"), never "session(s)".
const rules = new Intl.PluralRules('en');
const numbers = new Intl.NumberFormat('en');

/** "1 user", "3 users", "1,204 users": `forms.one` for the singular, `forms.other` for the rest. */
export function count(n: number, forms: { one: string; other: string }): string {
  return `${numbers.format(n)} ${rules.select(n) === 'one' ? forms.one : forms.other}`;
}
