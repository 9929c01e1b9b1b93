import type { FastifyInstance } from 'fastify';
import { deleteCustomer } from '../core/customer-delete.service.js';
import type { ResourceModel } from '../model/model.js';
import { recordRoutes } from './records.routes.js';

/**
 * Customers are served by the generated door of their resource; only their delete is
 * their own: it takes the customer's bookings and documents with it, each audited.
 */
export async function customerRoutes(app: FastifyInstance, { resource }: { resource: ResourceModel }) {
  await app.register(recordRoutes, { resource, remove: deleteCustomer });
}
