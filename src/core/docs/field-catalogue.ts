/**
 * The project's field catalogue: every event type SparkPost sends, the fields each carries, what they
 * mean and a sample value. The documentation and samples endpoints are built from it, so they describe
 * exactly what this service stores and returns. Sources: SparkPost's own documentation endpoints
 * (2016 and 2020 editions) as summarised in the SparkPost contract, SPEC §5.
 */

export interface FieldDoc {
  readonly description: string;
  /** In the webhook representation (strings for ids and counters, epoch seconds for timestamp). */
  readonly sampleValue: unknown;
}

export const FIELD_DOCS: Readonly<Record<string, FieldDoc>> = {
  ab_test: {
    description: 'Summary of the A/B test',
    sampleValue: {
      engagement_metric: 'count_unique_clicked',
      test_mode: 'bayesian',
      name: 'Password Reset',
      default_template: {
        count_unique_clicked: 10,
        count_accepted: 50,
        template_id: 'templ-1234',
        engagement_rate: 0.2,
      },
      id: 'password-reset',
      variants: [
        { count_unique_clicked: 10, count_accepted: 50, template_id: 'templ-5678', engagement_rate: 0.2 },
      ],
      version: 1,
    },
  },
  ab_test_id: {
    description: 'Unique id of the A/B test that produced this message',
    sampleValue: 'password-reset',
  },
  ab_test_version: { description: 'Version of the A/B test that produced this message', sampleValue: '1' },
  amp_enabled: { description: 'Whether the message has an AMP part', sampleValue: true },
  batch_id: {
    description: 'Id of the Ingest API batch',
    sampleValue: '96500f4d-d4f4-4f1b-8080-02f4682184bb',
  },
  bounce_class: {
    description:
      'Classification code for a given message (see [Bounce Classification Codes](https://support.sparkpost.com/customer/portal/articles/1929896))',
    sampleValue: '1',
  },
  campaign_id: {
    description: 'Campaign of which this message was a part',
    sampleValue: 'Example Campaign Name',
  },
  click_tracking: { description: 'Whether click tracking was enabled for this message', sampleValue: true },
  customer_id: {
    description: 'SparkPost-customer identifier through which this message was sent',
    sampleValue: '1',
  },
  delv_method: { description: 'Protocol by which SparkPost delivered this message', sampleValue: 'esmtp' },
  device_token: {
    description:
      'Token of the device / application targeted by this PUSH notification message. Applies only when delv_method is gcm or apn.',
    sampleValue: '45c19189783f867973f6e6a5cca60061ffe4fa77c547150563a1192fa9847f8a',
  },
  dr_latency: {
    description: 'Delivery report latency; interval between message submission and receipt',
    sampleValue: '0.02',
  },
  error_code: {
    description: 'Error code by which the remote server described a failed delivery attempt',
    sampleValue: '554',
  },
  error_type: { description: 'Kind of ingest failure, e.g. validation', sampleValue: 'validation' },
  event_id: { description: 'Unique event identifier', sampleValue: '92356927693813856' },
  expiration_timestamp: {
    description: 'When the failed batch expires (ISO 8601)',
    sampleValue: '2019-06-16T19:02:09.373Z',
  },
  fbtype: {
    description:
      'Type of spam report entered against this message (see [RFC 5965 \u00a7 7.3](http://tools.ietf.org/html/rfc5965#section-7.3))',
    sampleValue: 'abuse',
  },
  friendly_from: {
    description: 'Friendly sender or "From" header in the original email',
    sampleValue: 'sender@example.com',
  },
  geo_ip: {
    description:
      'Geographic location based on the IP address, including latitude, longitude, city, country, and region',
    sampleValue: {
      zip: 21046,
      country: 'US',
      city: 'Columbia',
      latitude: 39.1749,
      region: 'MD',
      postal_code: '21046',
      longitude: -76.8375,
    },
  },
  href: {
    description: 'Where the failed batch can be downloaded',
    sampleValue:
      'https://api.sparkpost.com/api/v1/ingest/events/failures/fbd59e4c-1629-4736-803d-201ff9fa8dd6',
  },
  initial_pixel: {
    description: 'Whether a tracking pixel was placed at the top of the message (initial open tracking)',
    sampleValue: true,
  },
  injection_time: {
    description: 'When the message was injected into SparkPost (ISO 8601, UTC)',
    sampleValue: '2016-04-18T14:25:07.000Z',
  },
  ip_address: {
    description:
      'IP address of the host to which SparkPost delivered this message; in engagement events, the IP address of the host where the HTTP request originated',
    sampleValue: '127.0.0.1',
  },
  ip_pool: { description: 'IP pool through which this message was sent', sampleValue: 'Example-Ip-Pool' },
  mailbox_provider: { description: 'Mailbox provider of the recipient, e.g. Gmail', sampleValue: 'Gmail' },
  mailbox_provider_region: {
    description: 'Region of the mailbox provider, e.g. North America - USA',
    sampleValue: 'North America - USA',
  },
  mailfrom: { description: 'Envelope mailfrom of the original email', sampleValue: 'recipient@example.com' },
  message_id: {
    description: 'SparkPost-cluster-wide unique identifier for this message',
    sampleValue: '000443ee14578172be22',
  },
  msg_from: {
    description: "Sender address used on this message's SMTP envelope",
    sampleValue: 'sender@example.com',
  },
  msg_size: { description: "Message's size in bytes", sampleValue: '1337' },
  num_retries: {
    description:
      'Number of failed attempts before this message was successfully delivered; when the first attempt succeeds, zero',
    sampleValue: '2',
  },
  number_duplicates: { description: 'Events of the batch that were duplicates', sampleValue: 350 },
  number_failed: { description: 'Events of the batch that failed', sampleValue: 50 },
  number_succeeded: { description: 'Events of the batch that were ingested', sampleValue: 500 },
  open_tracking: { description: 'Whether open tracking was enabled for this message', sampleValue: true },
  origination: { description: 'Where a relayed message came from', sampleValue: 'inbound' },
  outbound_tls: {
    description: 'Whether TLS was used to deliver the message (-1: not used)',
    sampleValue: '-1',
  },
  queue_time: {
    description:
      "Delay, expressed in milliseconds, between this message's injection into SparkPost and its delivery to the receiving domain; that is, the length of time this message spent in the outgoing queue",
    sampleValue: '12',
  },
  raw_rcpt_to: {
    description: "Actual recipient address used on this message's SMTP envelope",
    sampleValue: 'Recipient@example.com',
  },
  raw_reason: {
    description: 'Unmodified, exact response returned by the remote server due to a failed delivery attempt',
    sampleValue: 'MAIL REFUSED - IP (17.99.99.99) is in black list',
  },
  rcpt_hash: {
    description: 'Hash of the recipient address',
    sampleValue: '2aae6c35c94fcfb415dbe95f408b9ce91ee846ed',
  },
  rcpt_meta: {
    description: 'Metadata describing the message recipient',
    sampleValue: { customKey: 'customValue' },
  },
  rcpt_subs: {
    description: 'Substitutions applied to the template to construct this message',
    sampleValue: { country: 'US', gender: 'Female' },
  },
  rcpt_tags: {
    description: 'Tags applied to the message which generated this event',
    sampleValue: ['male', 'US'],
  },
  rcpt_to: {
    description: "Lowercase version of recipient address used on this message's SMTP envelope",
    sampleValue: 'recipient@example.com',
  },
  rcpt_type: {
    description:
      'Indicates that a recipient address appeared in the Cc or Bcc header or the archive JSON array',
    sampleValue: 'cc',
  },
  reason: {
    description:
      'Canonicalized text of the response returned by the remote server due to a failed delivery attempt',
    sampleValue: 'MAIL REFUSED - IP (a.b.c.d) is in black list',
  },
  recipient_domain: { description: 'Domain part of the recipient address', sampleValue: 'example.com' },
  recv_method: { description: 'Protocol by which SparkPost received this message', sampleValue: 'esmtp' },
  relay_id: { description: 'Id of the relay webhook', sampleValue: '123-456-789' },
  remote_addr: {
    description: 'IP address of the host from which SparkPost received this message',
    sampleValue: '127.0.0.1',
  },
  report_by: {
    description: 'Address of the entity reporting this message as spam',
    sampleValue: 'server.email.com',
  },
  report_to: {
    description: 'Address to which this spam report is to be delivered',
    sampleValue: 'abuse.example.com',
  },
  retryable: { description: 'Whether the failed batch can be retried', sampleValue: false },
  routing_domain: { description: 'Domain receiving this message', sampleValue: 'example.com' },
  sending_domain: { description: 'Domain of the From header of the message', sampleValue: 'example.com' },
  sending_ip: { description: 'IP address through which this message was sent', sampleValue: '127.0.0.1' },
  sms_coding: { description: 'Data encoding used in the SMS message', sampleValue: 'ASCII' },
  sms_dst: { description: 'SMS destination address', sampleValue: '7876712656' },
  sms_dst_npi: { description: 'Destination numbering plan identification', sampleValue: 'E164' },
  sms_dst_ton: { description: 'Type of number for the destination address', sampleValue: 'International' },
  sms_remoteids: {
    description: 'The message ID(s) in the response, assigned by the remote server/SMSC',
    sampleValue: ['0000', '0001', '0002', '0003', '0004'],
  },
  sms_segments: {
    description: 'Segment number of the log line for large messages sent through multiple SMSes',
    sampleValue: 5,
  },
  sms_src: { description: 'SMS source address', sampleValue: '1234' },
  sms_src_npi: { description: 'Source numbering plan identification', sampleValue: 'E164' },
  sms_src_ton: { description: 'Type of number for the source address', sampleValue: 'Unknown' },
  sms_text: {
    description: 'The SMS message payload (in the character set specified in sms_coding)',
    sampleValue: 'lol',
  },
  stat_state: { description: 'Status value in an SMS status event', sampleValue: 'Delivered' },
  stat_type: { description: 'Status type in an SMS status event', sampleValue: 'SMSC Delivery' },
  subaccount_id: { description: 'Unique subaccount identifier.', sampleValue: '101' },
  subject: { description: 'Subject line from the email header', sampleValue: 'Summer deals are here!' },
  target_link_name: {
    description: 'Name of the link for which a click event was generated',
    sampleValue: 'Example Link Name',
  },
  target_link_url: {
    description: 'URL of the link for which a click event was generated',
    sampleValue: 'http://example.com',
  },
  template_id: {
    description: 'Slug of the template used to construct this message',
    sampleValue: 'templ-1234',
  },
  template_version: {
    description: 'Version of the template used to construct this message',
    sampleValue: '1',
  },
  timestamp: {
    description:
      'Event date and time, in Unix timestamp format (integer seconds since 00:00:00 GMT 1970-01-01)',
    sampleValue: '1460989507',
  },
  transactional: { description: 'Set to "1" when the message was marked transactional', sampleValue: '1' },
  transmission_id: {
    description: 'Transmission which originated this message',
    sampleValue: '65832150921904138',
  },
  type: { description: 'Type of event this record describes', sampleValue: null },
  user_agent: {
    description: "Value of the browser's User-Agent header",
    sampleValue:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2272.118 Safari/537.36',
  },
};

export interface EventTypeDoc {
  readonly type: string;
  /** The `msys` key SparkPost wraps it in. */
  readonly category: string;
  readonly displayName: string;
  readonly description: string;
  readonly fields: readonly string[];
}

/** A webhook category (the `msys` key) as the webhook documentation endpoint describes it. */
export interface CategoryDoc {
  readonly category: string;
  readonly displayName: string;
  readonly description: string;
}

/**
 * The webhook categories in SparkPost's order: the first five with SparkPost's own names and
 * descriptions (`GET /api/v1/webhooks/events/documentation`, c. 2016: tests/fixtures/
 * webhook-event-documentation-2016.json); the A/B-test and ingest categories, which the live
 * documentation has (java-sparkpost's event classes, regenerated from it in 2020) but no source shows
 * the wording of, in the project's words.
 */
export const CATEGORY_DOCS: readonly CategoryDoc[] = [
  {
    category: 'message_event',
    displayName: 'Message Events',
    description:
      'Message events describe the life cycle of a message including injection, delivery, and disposition.',
  },
  {
    category: 'track_event',
    displayName: 'Engagement Events',
    description:
      'Engagement events describe the behavior of a recipient with respect to the message sent.',
  },
  {
    category: 'gen_event',
    displayName: 'Generation Events',
    description: 'Generation events provide insight into message generation failures or rejections.',
  },
  {
    category: 'unsubscribe_event',
    displayName: 'Unsubscribe Events',
    description:
      'Unsubscribe events provide insight into the action the user performed to become unsubscribed.',
  },
  {
    category: 'relay_event',
    displayName: 'Relay Events',
    description:
      'Relay events describe the life cycle of an inbound message including injection, delivery, and disposition.',
  },
  {
    category: 'ab_test_event',
    displayName: 'A/B Test Events',
    description: 'A/B test events report the outcome of an A/B test: its completion or cancellation.',
  },
  {
    category: 'ingest_event',
    displayName: 'Ingest Events',
    description: 'Ingest events report how an Ingest API batch was processed.',
  },
];

/** Field names written as words (one line per several), in SparkPost's order. */
function names(words: string): readonly string[] {
  return words.trim().split(/\s+/);
}

/** Field lists several types share (opens and AMP opens, clicks and AMP clicks, A/B-test events). */
const CLICK_FIELDS = names(`
  type ab_test_id ab_test_version amp_enabled campaign_id click_tracking customer_id delv_method
  event_id friendly_from geo_ip initial_pixel injection_time ip_address ip_pool mailbox_provider
  mailbox_provider_region message_id msg_from msg_size num_retries open_tracking queue_time
  raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type recipient_domain routing_domain
  sending_domain sending_ip subaccount_id subject target_link_name target_link_url template_id
  template_version timestamp transactional transmission_id user_agent
`);
const OPEN_FIELDS = names(`
  type ab_test_id ab_test_version amp_enabled campaign_id click_tracking customer_id delv_method
  event_id friendly_from geo_ip initial_pixel injection_time ip_address ip_pool mailbox_provider
  mailbox_provider_region message_id msg_from msg_size num_retries open_tracking queue_time
  raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type recipient_domain routing_domain
  sending_domain sending_ip subaccount_id subject template_id template_version timestamp
  transactional transmission_id user_agent
`);
const AB_TEST_FIELDS = ['type', 'ab_test', 'customer_id', 'event_id', 'subaccount_id', 'timestamp'];

/** In SparkPost's order: the 18 message event types of the Events API first, then relay, A/B-test and ingest. */
export const EVENT_TYPE_DOCS: readonly EventTypeDoc[] = [
  {
    type: 'bounce',
    category: 'message_event',
    displayName: 'Bounce',
    description: 'Remote MTA has permanently rejected a message.',
    fields: names(`
      type amp_enabled bounce_class campaign_id click_tracking customer_id delv_method device_token
      error_code event_id friendly_from initial_pixel injection_time ip_address ip_pool
      mailbox_provider mailbox_provider_region message_id msg_from msg_size num_retries open_tracking
      raw_rcpt_to raw_reason rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type reason recipient_domain
      recv_method routing_domain sending_domain sending_ip sms_coding sms_dst sms_dst_npi sms_dst_ton
      sms_src sms_src_npi sms_src_ton subaccount_id subject template_id template_version timestamp
      transactional transmission_id
    `),
  },
  {
    type: 'delivery',
    category: 'message_event',
    displayName: 'Delivery',
    description: 'Remote MTA acknowledged receipt of a message.',
    fields: names(`
      type ab_test_id ab_test_version amp_enabled campaign_id click_tracking customer_id delv_method
      device_token event_id friendly_from initial_pixel injection_time ip_address ip_pool
      mailbox_provider mailbox_provider_region message_id msg_from msg_size num_retries open_tracking
      outbound_tls queue_time raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type
      recipient_domain recv_method routing_domain sending_domain sending_ip sms_coding sms_dst
      sms_dst_npi sms_dst_ton sms_remoteids sms_segments sms_src sms_src_npi sms_src_ton subaccount_id
      subject template_id template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'injection',
    category: 'message_event',
    displayName: 'Injection',
    description: 'Message is received by or injected into SparkPost.',
    fields: names(`
      type ab_test_id ab_test_version amp_enabled campaign_id click_tracking customer_id event_id
      friendly_from initial_pixel injection_time ip_pool mailbox_provider mailbox_provider_region
      message_id msg_from msg_size open_tracking raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags rcpt_to
      rcpt_type recipient_domain recv_method routing_domain sending_domain sending_ip sms_coding
      sms_dst sms_dst_npi sms_dst_ton sms_segments sms_src sms_src_npi sms_src_ton sms_text
      subaccount_id subject template_id template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'sms_status',
    category: 'message_event',
    displayName: 'SMS Status',
    description: 'SMPP/SMS message produced a status log output',
    fields: names(`
      type customer_id delv_method dr_latency ip_address ip_pool raw_reason reason recv_method
      routing_domain sending_ip sms_dst sms_dst_npi sms_dst_ton sms_remoteids sms_src sms_src_npi
      sms_src_ton sms_text stat_state stat_type subaccount_id timestamp
    `),
  },
  {
    type: 'spam_complaint',
    category: 'message_event',
    displayName: 'Spam Complaint',
    description: 'Message was classified as spam by the recipient.',
    fields: names(`
      type ab_test_id ab_test_version campaign_id customer_id delv_method event_id fbtype
      friendly_from injection_time ip_address ip_pool mailbox_provider mailbox_provider_region
      message_id msg_from msg_size num_retries queue_time raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags
      rcpt_to rcpt_type recipient_domain report_by report_to routing_domain sending_domain sending_ip
      subaccount_id subject template_id template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'out_of_band',
    category: 'message_event',
    displayName: 'Out of Band',
    description:
      'Remote MTA initially reported acceptance of a message, but it has since asynchronously reported that the message was not delivered.',
    fields: names(`
      type ab_test_id ab_test_version bounce_class campaign_id customer_id delv_method device_token
      error_code event_id friendly_from injection_time ip_address ip_pool mailbox_provider
      mailbox_provider_region message_id msg_from msg_size num_retries queue_time raw_rcpt_to
      raw_reason rcpt_hash rcpt_meta rcpt_tags rcpt_to reason recipient_domain recv_method
      routing_domain sending_domain sending_ip subaccount_id subject template_id template_version
      timestamp transactional transmission_id
    `),
  },
  {
    type: 'policy_rejection',
    category: 'message_event',
    displayName: 'Policy Rejection',
    description: 'Due to policy, SparkPost rejected a message or failed to generate a message.',
    fields: names(`
      type ab_test_id ab_test_version bounce_class campaign_id customer_id error_code event_id
      friendly_from injection_time ip_pool mailbox_provider mailbox_provider_region message_id
      msg_from raw_rcpt_to raw_reason rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type reason
      recipient_domain recv_method remote_addr sending_domain sending_ip subaccount_id template_id
      template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'delay',
    category: 'message_event',
    displayName: 'Delay',
    description: 'Remote MTA has temporarily rejected a message.',
    fields: names(`
      type amp_enabled bounce_class campaign_id click_tracking customer_id delv_method device_token
      error_code event_id friendly_from initial_pixel injection_time ip_address ip_pool
      mailbox_provider mailbox_provider_region message_id msg_from msg_size num_retries open_tracking
      outbound_tls queue_time raw_rcpt_to raw_reason rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type
      reason recipient_domain recv_method routing_domain sending_domain sending_ip sms_coding sms_dst
      sms_dst_npi sms_dst_ton sms_src sms_src_npi sms_src_ton subaccount_id subject template_id
      template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'click',
    category: 'track_event',
    displayName: 'Click',
    description:
      "Recipient clicked a tracked link in a message, thus prompting a redirect through the SparkPost click-tracking server to the link's destination.",
    fields: CLICK_FIELDS,
  },
  {
    type: 'open',
    category: 'track_event',
    displayName: 'Open',
    description: 'Recipient opened a message in a mail client, thus rendering a tracking pixel.',
    fields: OPEN_FIELDS,
  },
  {
    type: 'initial_open',
    category: 'track_event',
    displayName: 'Initial Open',
    description:
      'Recipient opened a message in a mail client, thus rendering a tracking pixel at the top of the message.',
    fields: OPEN_FIELDS,
  },
  {
    type: 'amp_click',
    category: 'track_event',
    displayName: 'AMP Click',
    description: 'Recipient clicked a tracked link in the AMP part of a message.',
    fields: CLICK_FIELDS,
  },
  {
    type: 'amp_open',
    category: 'track_event',
    displayName: 'AMP Open',
    description: 'Recipient opened the AMP part of a message, thus rendering a tracking pixel.',
    fields: OPEN_FIELDS,
  },
  {
    type: 'amp_initial_open',
    category: 'track_event',
    displayName: 'AMP Initial Open',
    description: 'Recipient opened the AMP part of a message, thus rendering a tracking pixel at its top.',
    fields: OPEN_FIELDS,
  },
  {
    type: 'generation_failure',
    category: 'gen_event',
    displayName: 'Generation Failure',
    description: 'Message generation failed for an intended recipient.',
    fields: names(`
      type ab_test_id ab_test_version campaign_id customer_id error_code event_id friendly_from
      ip_pool mailbox_provider mailbox_provider_region raw_rcpt_to raw_reason rcpt_hash rcpt_meta
      rcpt_subs rcpt_tags rcpt_to reason recipient_domain recv_method routing_domain sending_domain
      sending_ip subaccount_id template_id template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'generation_rejection',
    category: 'gen_event',
    displayName: 'Generation Rejection',
    description: 'SparkPost rejected message generation due to policy.',
    fields: names(`
      type ab_test_id ab_test_version bounce_class campaign_id customer_id error_code event_id
      friendly_from ip_pool mailbox_provider mailbox_provider_region raw_rcpt_to raw_reason rcpt_hash
      rcpt_meta rcpt_subs rcpt_tags rcpt_to reason recipient_domain recv_method routing_domain
      sending_domain sending_ip subaccount_id subject template_id template_version timestamp
      transactional transmission_id
    `),
  },
  {
    type: 'list_unsubscribe',
    category: 'unsubscribe_event',
    displayName: 'List Unsubscribe',
    description: "User clicked the 'unsubscribe' button on an email client.",
    fields: names(`
      type ab_test_id ab_test_version amp_enabled campaign_id click_tracking customer_id event_id
      friendly_from initial_pixel injection_time ip_address ip_pool mailbox_provider
      mailbox_provider_region mailfrom message_id msg_from msg_size num_retries open_tracking
      queue_time raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type recipient_domain
      recv_method routing_domain sending_domain sending_ip subaccount_id subject template_id
      template_version timestamp transactional transmission_id
    `),
  },
  {
    type: 'link_unsubscribe',
    category: 'unsubscribe_event',
    displayName: 'Link Unsubscribe',
    description: 'User clicked a hyperlink in a received email.',
    fields: names(`
      type ab_test_id ab_test_version amp_enabled campaign_id click_tracking customer_id delv_method
      event_id friendly_from initial_pixel injection_time ip_address ip_pool mailbox_provider
      mailbox_provider_region mailfrom message_id msg_from msg_size num_retries open_tracking
      queue_time raw_rcpt_to rcpt_hash rcpt_meta rcpt_tags rcpt_to rcpt_type recipient_domain
      recv_method routing_domain sending_domain sending_ip subaccount_id subject template_id
      template_version timestamp transactional transmission_id user_agent
    `),
  },
  {
    type: 'relay_injection',
    category: 'relay_event',
    displayName: 'Relay Injection',
    description: 'Relayed message is received by or injected into SparkPost.',
    fields: names(`
      type customer_id event_id injection_time ip_pool message_id msg_from msg_size origination
      raw_rcpt_to rcpt_hash rcpt_to recv_method relay_id routing_domain sending_ip subaccount_id
      timestamp
    `),
  },
  {
    type: 'relay_rejection',
    category: 'relay_event',
    displayName: 'Relay Rejection',
    description: 'SparkPost rejected a relayed message or failed to generate a relayed message.',
    fields: names(`
      type bounce_class customer_id error_code event_id injection_time message_id msg_from origination
      raw_rcpt_to raw_reason rcpt_hash rcpt_to reason recv_method relay_id remote_addr subaccount_id
      timestamp
    `),
  },
  {
    type: 'relay_delivery',
    category: 'relay_event',
    displayName: 'Relay Delivery',
    description: 'Remote HTTP Endpoint acknowledged receipt of a relayed message.',
    fields: names(`
      type customer_id delv_method event_id injection_time ip_pool message_id msg_from num_retries
      origination queue_time raw_rcpt_to rcpt_hash rcpt_to recv_method relay_id routing_domain
      sending_ip subaccount_id timestamp
    `),
  },
  {
    type: 'relay_tempfail',
    category: 'relay_event',
    displayName: 'Relay Temporary Failure',
    description: 'Remote HTTP Endpoint has failed to accept a relayed message.',
    fields: names(`
      type customer_id delv_method error_code event_id injection_time ip_pool message_id msg_from
      num_retries origination queue_time raw_rcpt_to raw_reason rcpt_hash rcpt_to reason recv_method
      relay_id routing_domain sending_ip subaccount_id timestamp
    `),
  },
  {
    type: 'relay_permfail',
    category: 'relay_event',
    displayName: 'Relay Permanent Failure',
    description:
      'Relayed message has reached the maximum retry threshold and will be removed from the system.',
    fields: names(`
      type customer_id delv_method error_code event_id injection_time ip_pool message_id msg_from
      num_retries origination outbound_tls queue_time raw_rcpt_to raw_reason rcpt_hash rcpt_to reason
      recv_method relay_id routing_domain sending_ip subaccount_id timestamp
    `),
  },
  {
    type: 'ab_test_completed',
    category: 'ab_test_event',
    displayName: 'A/B Test Completed',
    description: 'An A/B test completed; the event holds its results.',
    fields: AB_TEST_FIELDS,
  },
  {
    type: 'ab_test_cancelled',
    category: 'ab_test_event',
    displayName: 'A/B Test Cancelled',
    description: 'An A/B test was cancelled; the event holds its details.',
    fields: AB_TEST_FIELDS,
  },
  {
    type: 'success',
    category: 'ingest_event',
    displayName: 'Ingest Success',
    description: 'An Ingest API batch was processed.',
    fields: names(`
      type batch_id customer_id event_id expiration_timestamp number_duplicates number_succeeded
      subaccount_id timestamp
    `),
  },
  {
    type: 'error',
    category: 'ingest_event',
    displayName: 'Ingest Error',
    description: 'An Ingest API batch failed to process.',
    fields: names(`
      type batch_id customer_id error_type event_id expiration_timestamp href number_duplicates
      number_failed number_succeeded retryable subaccount_id timestamp
    `),
  },
];
