import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ingestFolder } from '../../../lambdas/local/commands/ingest';

/** A small landing folder written inline: the rows a test plants, nothing else. */
export interface PlantedWorld {
  readonly customers: readonly string[][];
  readonly orders: readonly string[][];
  readonly sales: readonly string[][];
  readonly events: readonly string[][];
}

const HEADERS = {
  'crm/customers.csv': 'customer_id,email,first_name,last_name,phone,postcode,created_at',
  'web/orders.csv': 'order_id,customer_id,item_count,amount,ordered_at',
  'store/sales.csv': 'receipt_id,store_id,name,email,phone,postcode,amount,sold_at',
  'web/events.csv': 'anonymous_id,customer_id,event,item_id,order_id,timestamp',
} as const;

export async function writeLanding(folder: string, world: PlantedWorld): Promise<void> {
  const rows = {
    'crm/customers.csv': world.customers,
    'web/orders.csv': world.orders,
    'store/sales.csv': world.sales,
    'web/events.csv': world.events,
  };
  for (const [file, header] of Object.entries(HEADERS)) {
    await mkdir(path.dirname(path.join(folder, file)), { recursive: true });
    const body = rows[file as keyof typeof rows].map((r) => r.join(',')).join('\n');
    await writeFile(path.join(folder, file), `${header}\n${body}${body ? '\n' : ''}`);
  }
}

/** Writes the world and ingests it into `out` the way `cdp score` does. */
export async function ingestPlanted(folder: string, out: string, world: PlantedWorld): Promise<void> {
  await writeLanding(folder, world);
  const quiet = { log: () => undefined, error: () => undefined };
  const run = await ingestFolder(
    folder,
    { out, maxBadShare: 0, phoneRegion: 'US', ingestDate: '2026-01-02' },
    quiet,
  );
  if (run.status !== 0) throw new Error(`the planted world did not ingest cleanly (status ${run.status})`);
}
