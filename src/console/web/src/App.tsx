import { useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { api, errorWords, type ModelView } from './api.js';
import { BASE, navigate, segmentsOf, usePath } from './router.js';
import { currentSession, onSessionChange, signOut, type Session } from './session.js';
import { SignIn } from './pages/SignIn.js';
import { Callback } from './pages/Callback.js';
import { CALLBACK_PATH } from './oidc.js';
import { Records } from './pages/Records.js';
import { People } from './pages/People.js';
import { Activity } from './pages/Activity.js';
import { PersonHistory, RecordHistory } from './pages/History.js';
import { ViewAs } from './pages/ViewAs.js';
import { PolicyPage } from './pages/Policy.js';
import { Privacy } from './pages/Privacy.js';
import { AccessReview } from './pages/AccessReview.js';

function useSession(): Session | null {
  const [session, setSession] = useState(currentSession);
  useEffect(() => onSessionChange(() => setSession(currentSession())), []);
  return session;
}

/** An in-console link: a real <a href> (keyboard, new tab), followed without a reload. */
export function Link({ to, children, current }: { to: string; children: ReactNode; current?: boolean }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={follow} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

/** Each page's name: in the navigation and in the tab's title. */
const PAGE_LABELS: Record<string, string> = {
  records: 'Records',
  people: 'People',
  activity: 'Activity',
  'view-as': 'View as',
  policy: 'Policy',
  privacy: 'Privacy',
  'access-review': 'Access review',
  history: 'History',
};

/**
 * What a full page load tells a screen reader, after an in-console navigation: the tab's
 * title names the page, and the focus moves to the page's content (not on the first
 * render, where the browser starts at the top anyway).
 */
function useAnnouncedPage(path: string, label: string | undefined) {
  const first = useRef(true);
  useEffect(() => {
    document.title = label ? `${label} · fieldguard console` : 'fieldguard console';
  }, [label]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [path]);
}

/** The Privacy page opens to whoever holds one of the privacy officer's rights. */
const privacyShown = (may: ModelView['you']['may'] | undefined) => Boolean(may && (may.readSubjects || may.eraseSubjects || may.holdSubjects || may.readInventory || may.readIncidents));

export function App() {
  const session = useSession();
  const path = usePath();
  const [model, setModel] = useState<ModelView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    setModel(null);
    setProblem(null);
    if (!session) return;
    const abort = new AbortController();
    api<ModelView>('/v1/model', { signal: abort.signal }).then(setModel, (err) => {
      if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
    });
    return () => abort.abort();
  }, [session]);

  const [page = 'records', ...rest] = segmentsOf(path);
  useAnnouncedPage(path, session ? PAGE_LABELS[page] : undefined);

  if (path === CALLBACK_PATH) return <Callback />;
  if (!session) return <SignIn />;
  const may = model?.you.may;
  const nav = [
    { page: 'records', shown: true },
    { page: 'people', shown: may?.listPeople ?? false },
    { page: 'activity', shown: may?.readActivity ?? false },
    { page: 'view-as', shown: may?.previewPolicy ?? false },
    { page: 'policy', shown: may?.readPolicy ?? false },
    { page: 'privacy', shown: privacyShown(may) },
    { page: 'access-review', shown: may?.accessReview ?? false },
  ];

  let body: ReactNode;
  if (problem) body = <p role="alert" className="error">{problem}</p>;
  else if (!model) body = <p aria-live="polite">Loading…</p>;
  else if (page === 'records') body = <Records model={model} rest={rest} />;
  else if (page === 'people' && may?.listPeople) body = <People model={model} />;
  else if (page === 'activity' && may?.readActivity) body = <Activity />;
  else if (page === 'history' && may?.readActivity && rest[0] === 'record' && rest[1] && rest[2]) body = <RecordHistory model={model} type={rest[1]} id={rest[2]} />;
  else if (page === 'history' && may?.readActivity && rest[0] === 'person' && rest[1]) body = <PersonHistory model={model} sub={rest[1]} />;
  else if (page === 'view-as' && may?.previewPolicy) body = <ViewAs model={model} />;
  else if (page === 'policy' && may?.readPolicy) body = <PolicyPage model={model} />;
  else if (page === 'privacy' && privacyShown(may)) body = <Privacy model={model} />;
  else if (page === 'access-review' && may?.accessReview) body = <AccessReview />;
  else body = <p className="empty">There is no such page here, or your role does not open it. Choose a page above.</p>;

  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <span className="brand">fieldguard console</span>
        <nav aria-label="Console">
          <ul>
            {nav
              .filter((n) => n.shown)
              .map((n) => (
                <li key={n.page}>
                  <Link to={`${BASE}/${n.page}`} current={page === n.page}>
                    {PAGE_LABELS[n.page]}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
        <span className="who">
          Signed in as <strong>{session.sub}</strong>
          {(model?.you.roles ?? session.roles).length > 0 && <> ({(model?.you.roles ?? session.roles).join(', ')})</>}
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}
