import { useT } from '../i18n/I18nProvider';
import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';

export interface RowAction {
  label: string;
  run: () => void;
  danger?: boolean;
}

/** Space kept between the menu and the window's edges, and between the menu and its button. */
const EDGE = 8;
const GAP = 4;

/**
 * A row's actions: a menu button (WAI-ARIA menu button pattern) whose menu is a popover in
 * document.body, placed from the button's rect, so no table or scrolling box around the row can
 * cut it off. It opens below the button, or above when there is no room below. Enter, Space or ↓
 * open it on the first item (↑ on the last); arrows, Home and End move; Escape or Tab close it
 * and give the focus back to the button.
 */
export function UserRowMenu({ label, items }: { label: string; items: RowAction[] }) {
  const t = useT();
  const [open, setOpen] = useState<false | 'first' | 'last'>(false);
  const [place, setPlace] = useState<{ top: number; left: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const id = useId();

  // Placed before the browser paints, and again when the window scrolls or resizes under it.
  useLayoutEffect(() => {
    if (!open) {
      setPlace(null);
      return;
    }
    const position = () => {
      const anchor = button.current?.getBoundingClientRect();
      const menu = list.current;
      if (!anchor || !menu) return;
      const { offsetWidth: width, offsetHeight: height } = menu;
      const below = window.innerHeight - anchor.bottom - GAP - EDGE;
      const above = anchor.top - GAP - EDGE;
      const top = height <= below || below >= above ? anchor.bottom + GAP : Math.max(EDGE, anchor.top - GAP - height);
      const left = Math.min(Math.max(EDGE, anchor.right - width), window.innerWidth - width - EDGE);
      setPlace({ top, left });
    };
    position();
    window.addEventListener('resize', position);
    window.addEventListener('scroll', position, true);
    return () => {
      window.removeEventListener('resize', position);
      window.removeEventListener('scroll', position, true);
    };
  }, [open]);

  // The focus goes in once, when the menu first has its place.
  const placed = place !== null;
  useEffect(() => {
    if (!open || !placed) return;
    const buttons = list.current?.querySelectorAll('button');
    (open === 'last' ? buttons?.[buttons.length - 1] : buttons?.[0])?.focus();
  }, [open, placed]);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!list.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  function closeAndReturn() {
    setOpen(false);
    button.current?.focus();
  }

  function onMenuKey(event: KeyboardEvent<HTMLUListElement>) {
    const buttons = [...(list.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => {
      event.preventDefault();
      buttons[(to + buttons.length) % buttons.length]?.focus();
    };
    if (event.key === 'ArrowDown') move(at + 1);
    else if (event.key === 'ArrowUp') move(at - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(buttons.length - 1);
    else if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      closeAndReturn();
    }
  }

  return (
    <>
      <button
        ref={button}
        type="button"
        className="button-secondary"
        aria-haspopup="menu"
        aria-expanded={Boolean(open)}
        aria-controls={open ? id : undefined}
        aria-label={label}
        onClick={() => setOpen((o) => (o ? false : 'first'))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            setOpen(e.key === 'ArrowUp' ? 'last' : 'first');
          }
        }}
      >
        {t('rowMenu.actions')}
      </button>
      {open
        ? createPortal(
            <ul
              ref={list}
              id={id}
              role="menu"
              aria-label={label}
              className="row-menu-list"
              // Hidden until placed, so it never flashes at the page's corner.
              style={place ? { top: place.top, left: place.left } : { top: 0, left: 0, visibility: 'hidden' }}
              onKeyDown={onMenuKey}
            >
              {items.map((item) => (
                <li key={item.label} role="none">
                  <button
                    type="button"
                    role="menuitem"
                    tabIndex={-1}
                    className={item.danger ? 'row-menu-item danger' : 'row-menu-item'}
                    onClick={() => {
                      closeAndReturn();
                      item.run();
                    }}
                  >
                    {item.label}
                  </button>
                </li>
              ))}
            </ul>,
            // Inside the page's <main> (still outside the table), so the menu stays in a landmark.
            document.getElementById('content') ?? document.body,
          )
        : null}
    </>
  );
}
