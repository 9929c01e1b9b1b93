/** The audit timeline: to come (filters, live updates). */
export function Activity() {
  return (
    <>
      <h1>Activity</h1>
      <p className="empty">The activity timeline is not in the console yet: read it with GET /v1/audit/events or npm run audit.</p>
    </>
  );
}
