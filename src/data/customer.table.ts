import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** `customers` as kysely sees it (camelCase; the CamelCasePlugin maps to snake_case). */
export interface CustomerTable {
  id: Generated<string>;
  fullName: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  iban: string | null;
  taxId: string | null;
  notes: string | null;
  privacyLevel: ColumnType<PrivacyLevel, PrivacyLevel | undefined, PrivacyLevel>;
  assignees: ColumnType<string[], string[] | undefined, string[]>;
  marketingOptOut: ColumnType<boolean, boolean | undefined, boolean>;
  createdAt: ColumnType<Date, never, never>;
  updatedAt: ColumnType<Date, never, Date>;
}

export type PrivacyLevel = 'standard' | 'confidential';
export type CustomerRow = Selectable<CustomerTable>;
export type NewCustomerRow = Insertable<CustomerTable>;
export type CustomerUpdate = Updateable<CustomerTable>;
