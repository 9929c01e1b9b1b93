/* global React, ReactDOM, GraphiQL */
// GraphiQL is rendered only once a token is given: it fetches the schema as soon as it
// mounts, and without a token that fetch is a 401 and the first screen an error. The
// token goes into the fetcher, not the headers pane, so GraphiQL never persists it.
'use strict';

const DEFAULT_QUERY = `# Every field is shaped by your role: see access { masked withheld }.
{
  customers(first: 5) {
    nodes { fullName phone email access { masked withheld } }
  }
}
`;

const form = document.getElementById('sign-in');
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = form.elements.token.value.trim().replace(/^Bearer\s+/i, '');
  if (!token) return;
  form.hidden = true;
  const container = document.getElementById('graphiql');
  container.hidden = false;
  const fetcher = GraphiQL.createFetcher({
    url: new URL('graphql', window.location.href).href,
    headers: { authorization: `Bearer ${token}` },
  });
  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery: DEFAULT_QUERY, shouldPersistHeaders: false }),
  );
});
