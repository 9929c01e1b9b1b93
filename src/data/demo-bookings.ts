import type { Db } from './database.js';
import type { BookingStatus } from './booking.table.js';

/**
 * Fictional appointments for the demo customers, placed relative to the day the demo
 * data is loaded, so the policy's time rules have something to show: reception sees
 * the last 30 days and everything ahead, so the older ones exist only for agents and
 * up. Several staff members; the confidential customer's bookings follow its visibility.
 */
interface DemoBooking {
  customer: string;
  staffSub: string;
  service: string;
  /** Days from today (negative: past), at a whole UTC hour. */
  day: number;
  hour: number;
  minutes: number;
  status: BookingStatus;
  notes?: string;
}

export const DEMO_BOOKINGS: DemoBooking[] = [
  { customer: 'Luca Bernardi', staffSub: 'sara', service: 'Haircut', day: -45, hour: 10, minutes: 45, status: 'done' },
  { customer: 'Luca Bernardi', staffSub: 'marco', service: 'Beard trim', day: 3, hour: 17, minutes: 30, status: 'booked', notes: 'Latex-free gloves.' },
  { customer: 'Elvira Alves', staffSub: 'sara', service: 'Colour', day: -7, hour: 14, minutes: 90, status: 'done', notes: 'Chose a copper shade.' },
  { customer: 'Elvira Alves', staffSub: 'sara', service: 'Colour touch-up', day: 24, hour: 14, minutes: 60, status: 'booked' },
  { customer: 'Sofia Ricci', staffSub: 'giada', service: 'Manicure', day: -2, hour: 11, minutes: 45, status: 'cancelled', notes: 'Called in sick.' },
  { customer: 'Sofia Ricci', staffSub: 'giada', service: 'Manicure', day: 1, hour: 11, minutes: 45, status: 'booked' },
  { customer: 'Hannah Becker', staffSub: 'marco', service: 'Consultation', day: -90, hour: 9, minutes: 30, status: 'done' },
  { customer: 'Camille Laurent', staffSub: 'marco', service: 'Haircut', day: 5, hour: 16, minutes: 45, status: 'booked' },
  { customer: 'Anna Kowalska', staffSub: 'sara', service: 'Haircut', day: -35, hour: 12, minutes: 45, status: 'done' },
  { customer: 'Edoardo Fontana', staffSub: 'bob', service: 'Consultation', day: -12, hour: 15, minutes: 60, status: 'done', notes: 'Brought the partnership papers.' },
  { customer: 'Edoardo Fontana', staffSub: 'bob', service: 'Follow-up', day: 14, hour: 15, minutes: 60, status: 'booked' },
];

/** Inserts the demo bookings for the customers named in `ids` (full name -> id). */
export async function insertDemoBookings(db: Db, ids: Map<string, string>, now = new Date()): Promise<number> {
  const rows = DEMO_BOOKINGS.map((b) => {
    const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + b.day, b.hour));
    return {
      customerId: ids.get(b.customer)!,
      staffSub: b.staffSub,
      service: b.service,
      startsAt,
      endsAt: new Date(startsAt.getTime() + b.minutes * 60_000),
      status: b.status,
      notes: b.notes ?? null,
    };
  });
  await db.insertInto('bookings').values(rows).execute();
  return rows.length;
}
