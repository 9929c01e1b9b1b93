import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

/** What went wrong, in words, announced at once to a screen reader. */
export function Problem({ problem }: { problem: string | null }) {
  if (!problem) return null;
  return (
    <p role="alert" className="error">
      {problem}
    </p>
  );
}

/** Cursor paging through a list the API serves a page at a time: the cursors of the pages before this one, to go back. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    hasPrevious: cursors.length > 1,
    previous: () => setCursors(cursors.slice(0, -1)),
    next: (cursor: string) => setCursors([...cursors, cursor]),
  };
}

/** "Previous page" and "Next page" under a list; `nextCursor` is the API's for the page shown. */
export function Pager({ pages, nextCursor }: { pages: ReturnType<typeof useCursorPages>; nextCursor: string | null | undefined }) {
  return (
    <div className="pager">
      <button type="button" disabled={!pages.hasPrevious} onClick={pages.previous}>
        Previous page
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        Next page
      </button>
    </div>
  );
}

/**
 * The box a wide table scrolls sideways in, so the page itself never does. When the table
 * is wider than the box, the box takes the keyboard focus (arrow keys scroll it) and is
 * named for screen readers; when it fits, it is no extra Tab stop.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setScrolls(el.scrollWidth > el.clientWidth);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    if (el.firstElementChild) observer.observe(el.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div ref={box} className="table-wrap" {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': label } : {})}>
      {children}
    </div>
  );
}
