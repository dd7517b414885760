import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENT_SOURCE, type EventDefinition } from '../../lambdas/core/events/catalog';

/** Props of the event bus. */
export interface EventBusProps {
  /** Name prefix of the bus. */
  readonly namePrefix: string;
  /** How long archived events can be replayed. */
  readonly archiveRetention?: Duration;
}

/**
 * The one custom bus every workflow publishes its state changes on, with an archive so any
 * event (a finished job, a failed import) can be replayed after a fix.
 */
export class EventBus extends Construct {
  /** The bus. */
  readonly bus: events.EventBus;
  /** The archive of everything from our source. */
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: EventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `${props.namePrefix}-audiences` });
    this.archive = this.bus.archive('Archive', {
      description: 'Every cdp-audiences event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(90),
    });
  }

  /** A rule on this bus for the given catalog events, optionally narrowed on detail fields. */
  addRule(
    id: string,
    definitions: readonly EventDefinition[],
    detail?: Record<string, unknown>,
  ): events.Rule {
    return new events.Rule(this, id, {
      eventBus: this.bus,
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: definitions.map((d) => d.detailType),
        ...(detail ? { detail } : {}),
      },
    });
  }

  /**
   * A workflow state that puts one of our events on this bus, retried on EventBridge errors.
   * `detailType` may be a JSONPath (`sfn.JsonPath.stringAt`); the state's own result is discarded.
   */
  publishTask(
    scope: Construct,
    id: string,
    detailType: string,
    detail: sfn.TaskInput,
  ): tasks.EventBridgePutEvents {
    const task = tasks.EventBridgePutEvents.jsonPath(scope, id, {
      entries: [{ eventBus: this.bus, source: EVENT_SOURCE, detailType, detail }],
      resultPath: sfn.JsonPath.DISCARD,
    });
    task.addRetry({ errors: ['EventBridge.EventBridgeException', 'States.TaskFailed'], maxAttempts: 3 });
    return task;
  }
}
