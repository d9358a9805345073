/** Small synthetic webhook elements for tests that need many distinct events or chosen timestamps. */
export interface MakeEvent {
  readonly ts: number;
  readonly id: string;
  readonly type?: string;
  readonly rcpt?: string;
  readonly fields?: Record<string, unknown>;
}

const CATEGORY: Record<string, string> = {
  click: 'track_event',
  open: 'track_event',
  initial_open: 'track_event',
  generation_failure: 'gen_event',
  generation_rejection: 'gen_event',
  list_unsubscribe: 'unsubscribe_event',
  link_unsubscribe: 'unsubscribe_event',
};

export function makeEvent({
  ts,
  id,
  type = 'delivery',
  rcpt = `user${id}@example.com`,
  fields = {},
}: MakeEvent) {
  return {
    msys: {
      [CATEGORY[type] ?? 'message_event']: {
        type,
        event_id: id,
        timestamp: String(Math.floor(ts / 1000)),
        rcpt_to: rcpt,
        raw_rcpt_to: rcpt,
        message_id: `msg-${id}`,
        transmission_id: '4242',
        customer_id: '1',
        subject: 'Test subject',
        campaign_id: 'test-campaign',
        ...fields,
      },
    },
  };
}

/** `count` delivery events, one second apart, starting at `startMs`, ids prefixed by `prefix`. */
export function makeBatch(count: number, startMs: number, prefix: string, stepMs = 1000) {
  return Array.from({ length: count }, (_, i) =>
    makeEvent({ ts: startMs + i * stepMs, id: `${prefix}${String(i).padStart(6, '0')}` }),
  );
}
