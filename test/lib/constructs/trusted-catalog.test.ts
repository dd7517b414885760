import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { datasetDefinitions } from '../../../lambdas/core/ingest/datasets';
import { buildApp } from '../synth';

const trustedUrl = (path: string) => ({
  'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^DataLakeTrusted') }, path]],
});

describe('TrustedCatalog', () => {
  const { template } = buildApp({ namePrefix: 'acme-prod' });

  it('declares one Glue database named after the deployment', () => {
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: '111122223333',
      DatabaseInput: { Name: 'acme_prod_trusted' },
    });
  });

  it('declares a Parquet table for crm/customers with its columns typed as the core stores them', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: { Ref: Match.stringLikeRegexp('^CatalogDatabase') },
      TableInput: Match.objectLike({
        Name: 'crm_customers',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: 'ingest_date', Type: 'string' }],
        StorageDescriptor: Match.objectLike({
          Location: trustedUrl('/trusted/crm/customers/'),
          Columns: [
            { Name: 'customer_id', Type: 'string' },
            { Name: 'email', Type: 'string' },
            { Name: 'first_name', Type: 'string' },
            { Name: 'last_name', Type: 'string' },
            { Name: 'phone', Type: 'string' },
            { Name: 'postcode', Type: 'string' },
            { Name: 'created_at', Type: 'timestamp' },
          ],
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          SerdeInfo: Match.objectLike({
            SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          }),
        }),
      }),
    });
  });

  it('projects the ingest_date partitions as dates, so no crawler or MSCK REPAIR is needed', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'web_orders',
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.ingest_date.type': 'date',
          'projection.ingest_date.format': 'yyyy-MM-dd',
          'projection.ingest_date.range': '2020-01-01,NOW',
          'storage.location.template': trustedUrl('/trusted/web/orders/ingest_date=${ingest_date}/'),
        }),
      }),
    });
  });

  it('types numbers and timestamps as the Parquet writer stores them', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'web_orders',
        StorageDescriptor: Match.objectLike({
          Columns: [
            { Name: 'order_id', Type: 'string' },
            { Name: 'customer_id', Type: 'string' },
            { Name: 'item_count', Type: 'bigint' },
            { Name: 'amount', Type: 'double' },
            { Name: 'ordered_at', Type: 'timestamp' },
          ],
        }),
      }),
    });
  });

  it('declares exactly one table per Parquet dataset plus identity_map and profiles, none for the Personalize CSVs', () => {
    const names = Object.values(template.findResources('AWS::Glue::Table')).map(
      (t) => t.Properties.TableInput.Name as string,
    );
    const parquetTables = datasetDefinitions()
      .filter((d) => d.output === 'parquet')
      .map((d) => d.table);

    expect(names.sort()).toEqual([...parquetTables, 'identity_map', 'profiles'].sort());
  });

  it('reads pinpoint endpoints by column position, as User.UserId is no Athena column name', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'pinpoint_endpoints',
        StorageDescriptor: Match.objectLike({
          Columns: Match.arrayWith([{ Name: 'user_userid', Type: 'string' }]),
          SerdeInfo: Match.objectLike({
            Parameters: Match.objectLike({ 'parquet.column.index.access': 'true' }),
          }),
        }),
      }),
    });
  });

  it('gives identity_map and profiles unpartitioned tables over folders of their own', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'identity_map',
        PartitionKeys: [],
        StorageDescriptor: Match.objectLike({
          Location: trustedUrl('/trusted/identity/identity_map/'),
          Columns: [
            { Name: 'source', Type: 'string' },
            { Name: 'source_id', Type: 'string' },
            { Name: 'customer_id', Type: 'string' },
          ],
        }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'profiles',
        StorageDescriptor: Match.objectLike({
          Location: trustedUrl('/trusted/identity/profiles/'),
          Columns: Match.arrayWith([
            { Name: 'customer_id', Type: 'string' },
            { Name: 'email_source', Type: 'string' },
            { Name: 'web_devices', Type: 'bigint' },
          ]),
        }),
      }),
    });
  });
});
