import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type BookingStatus = 'booked' | 'done' | 'cancelled';

/** `bookings` as kysely sees it (camelCase; the CamelCasePlugin maps to snake_case). */
export interface BookingTable {
  id: Generated<string>;
  customerId: string;
  staffSub: string;
  service: string;
  startsAt: ColumnType<Date, Date | string, Date | string>;
  endsAt: ColumnType<Date, Date | string, Date | string>;
  status: ColumnType<BookingStatus, BookingStatus | undefined, BookingStatus>;
  notes: string | null;
  createdAt: ColumnType<Date, never, never>;
  updatedAt: ColumnType<Date, never, Date>;
}

export type BookingRow = Selectable<BookingTable>;
export type NewBookingRow = Insertable<BookingTable>;
export type BookingUpdate = Updateable<BookingTable>;
