import { sql } from 'kysely';
import type { Db } from './database.js';
import { insertDemoBookings } from './demo-bookings.js';
import { insertDemoDocuments } from './demo-documents.js';
import type { NewCustomerRow } from './customer.table.js';

/** Fictional customers for a first run: realistic shapes, no real person's data. Bookings and documents: demo-bookings.ts, demo-documents.ts. */
export const DEMO_CUSTOMERS: NewCustomerRow[] = [
  { fullName: 'Giulia Marchetti', email: 'giulia.marchetti@example.com', phone: '+39 347 123 4567', address: 'Via Roma 12, 20121 Milano', iban: 'IT60X0542811101000000123456', taxId: 'MRCGLI85T50F205Z', notes: 'Prefers appointments after 17:00.' },
  { fullName: 'Luca Bernardi', email: 'luca.bernardi@example.org', phone: '+39 333 987 6543', address: 'Corso Vittorio Emanuele 45, 10121 Torino', iban: 'IT02A0301503200000003517230', taxId: 'BRNLCU79C12L219K', notes: 'Allergic to latex.', marketingOptOut: true },
  { fullName: 'Elvira Alves', email: 'elvira.alves@example.pt', phone: '+351 912 345 678', address: 'Rua Augusta 100, 1100-053 Lisboa', iban: 'PT50000201231234567890154', taxId: '123456789', notes: 'Speaks Portuguese and Italian.' },
  { fullName: 'Marco Esposito', email: 'marco.esposito@example.it', phone: '+39 081 555 0199', address: 'Via Toledo 256, 80134 Napoli', iban: 'IT40S0542811101000000123456', taxId: 'SPSMRC70A01F839X', notes: null },
  { fullName: 'Sofia Ricci', email: 'sofia.ricci@example.com', phone: '+39 349 222 3344', address: 'Piazza Maggiore 1, 40124 Bologna', iban: 'IT23A0336844430152923796661', taxId: 'RCCSFO92H41A944P', notes: 'Birthday in June: send a voucher.' },
  { fullName: 'Hannah Becker', email: 'hannah.becker@example.de', phone: '+49 151 2345 6789', address: 'Friedrichstrasse 43, 10117 Berlin', iban: 'DE89370400440532013000', taxId: 'DE123456789', notes: null, marketingOptOut: true },
  { fullName: 'Camille Laurent', email: 'camille.laurent@example.fr', phone: '+33 6 12 34 56 78', address: '12 Rue de Rivoli, 75004 Paris', iban: 'FR7630006000011234567890189', taxId: '1 85 05 78 006 084', notes: 'Pays by bank transfer only.' },
  { fullName: 'Javier Romero', email: 'javier.romero@example.es', phone: '+34 612 345 678', address: 'Calle de Alcala 50, 28014 Madrid', iban: 'ES9121000418450200051332', taxId: '12345678Z', notes: null },
  { fullName: 'Anna Kowalska', email: 'anna.kowalska@example.pl', phone: '+48 501 234 567', address: 'ul. Marszalkowska 10, 00-590 Warszawa', iban: 'PL61109010140000071219812874', taxId: '44051401359', notes: 'Needs invoices in English.' },
  { fullName: 'Pieter de Vries', email: 'pieter.devries@example.nl', phone: '+31 6 1234 5678', address: 'Damrak 70, 1012 LM Amsterdam', iban: 'NL91ABNA0417164300', taxId: '111222333', notes: null },
  {
    fullName: 'Vittoria Colonna',
    email: 'v.colonna@example.com',
    phone: '+39 335 700 8090',
    address: 'Via dei Condotti 8, 00187 Roma',
    iban: 'IT75Z0300203280284975661141',
    taxId: 'CLNVTR68D55H501Q',
    notes: 'Divorce proceedings; public figure. Case lawyer only.',
    privacyLevel: 'confidential',
    assignees: ['alice'],
  },
  {
    fullName: 'Edoardo Fontana',
    email: 'edoardo.fontana@example.com',
    phone: '+39 340 111 2233',
    address: 'Via Garibaldi 3, 16124 Genova',
    iban: 'IT12K0306909606100000063371',
    taxId: 'FNTDRD74E20D969W',
    notes: 'Dispute with former partner; handled by bob.',
    privacyLevel: 'confidential',
    assignees: ['bob'],
  },
];

/** What a load put in the database; all zero when the database already had customers. */
export interface DemoCounts {
  customers: number;
  bookings: number;
  documents: number;
}

/**
 * Loads the demo customers with their bookings and documents into an empty database,
 * in one transaction (a load cut short leaves nothing, and the next start loads it
 * all); does nothing once there are customers, so it never mixes with real data.
 */
export async function loadDemoData(db: Db): Promise<DemoCounts> {
  return db.transaction().execute(async (trx) => {
    // Two instances starting on one empty database must not both load it.
    await sql`lock table customers in share row exclusive mode`.execute(trx);
    const existing = await trx.selectFrom('customers').select('id').limit(1).executeTakeFirst();
    if (existing) return { customers: 0, bookings: 0, documents: 0 };
    const rows = await trx.insertInto('customers').values(DEMO_CUSTOMERS).returning(['id', 'fullName']).execute();
    const ids = new Map(rows.map((r) => [r.fullName, r.id]));
    return { customers: rows.length, bookings: await insertDemoBookings(trx, ids), documents: await insertDemoDocuments(trx, ids) };
  });
}
