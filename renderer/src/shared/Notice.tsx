import type { ReactNode } from 'react';

type Tone = 'error' | 'success' | 'warning' | 'info';

/** A message box; errors are announced at once, the rest politely. */
export function Notice({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title ? <p className="notice-title">{title}</p> : null}
      <div>{children}</div>
    </div>
  );
}
