import type { Model } from './model.js';

/** The resources whose REST routes and GraphQL fields are written by hand, under these plurals. */
const OWN_DOORS: Readonly<Record<string, string>> = { Customer: 'customers', Booking: 'bookings', Document: 'documents' };

/**
 * Customers, bookings and documents keep the doors written for them (a booking embeds its
 * customer, a document streams its bytes) where the model declares them as the default
 * policy does; any other resource, or these under another plural, gets the generated
 * door. Bookings and documents nest under their customer, so without it neither has one.
 */
export function resourcesWithOwnDoors(model: Model): ReadonlySet<string> {
  const names = [...model.resources.values()].filter((r) => OWN_DOORS[r.name] === r.plural).map((r) => r.name);
  return new Set(names.includes('Customer') ? names : []);
}

/** The stored resources served by the generated doors, in the order the policy declares them. */
export const generatedResources = (model: Model) => {
  const own = resourcesWithOwnDoors(model);
  return [...model.resources.values()].filter((r) => !own.has(r.name));
};
