import { useEffect, useRef, type ReactNode } from 'react';

/** A screen's h1 that takes focus when the screen appears, so keyboard and screen-reader users start there. */
export function FocusHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
