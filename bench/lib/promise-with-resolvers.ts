/**
 * PostGraphile 5 declares Node >= 22 and its only use of a newer API is
 * `Promise.withResolvers` (Node 22); this project runs on Node 20, so the PostGraphile
 * server gets it here, as the standard defines it, before PostGraphile loads.
 */
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
