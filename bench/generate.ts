import { createHash } from 'node:crypto';
import { Random, Weighted } from './random';

/**
 * A deterministic generator of realistic SparkPost webhook batches (SPEC §5.3 field sets, §6 shapes):
 * a sender's messages, each with a coherent lifecycle (injection → delay → delivery or bounce → opens →
 * clicks → the odd complaint or unsubscribe) for one recipient and message id, emitted in time order
 * over a span of days, in batches of 350. Every event is distinct: unique event ids, one message id per
 * message, a pool of recipients proportional to the volume. Same seed, same bytes.
 */

export interface GeneratorOptions {
  readonly seed: number;
  /** Total number of events to emit. */
  readonly events: number;
  /** The span the events cover, in days. */
  readonly days: number;
  /** Epoch milliseconds of the first message. */
  readonly startMs: number;
  readonly batchSize: number;
}

export type WebhookElement = { msys: Record<string, Record<string, unknown>> };

export interface GeneratedBatch {
  readonly index: number;
  /** SparkPost's X-MessageSystems-Batch-ID (UUID-shaped). */
  readonly batchId: string;
  readonly elements: WebhookElement[];
  /** The request body as SparkPost posts it: a compact JSON array. */
  readonly body: Buffer;
  /** Compact JSON bytes of each element, summed (the body minus brackets and commas). */
  readonly rawBytes: number;
  readonly firstTs: number;
  readonly lastTs: number;
}

/** Expected events per message with the probabilities below (used to pace arrivals; measured, not assumed). */
const EVENTS_PER_MESSAGE = 2.6;
const CUSTOMER_ID = '48213';

type Kind =
  | 'injection'
  | 'delivery'
  | 'delay'
  | 'bounce'
  | 'out_of_band'
  | 'policy_rejection'
  | 'spam_complaint'
  | 'open'
  | 'initial_open'
  | 'click'
  | 'generation_failure'
  | 'generation_rejection'
  | 'list_unsubscribe'
  | 'link_unsubscribe';

const CATEGORY: Record<Kind, string> = {
  injection: 'message_event',
  delivery: 'message_event',
  delay: 'message_event',
  bounce: 'message_event',
  out_of_band: 'message_event',
  policy_rejection: 'message_event',
  spam_complaint: 'message_event',
  open: 'track_event',
  initial_open: 'track_event',
  click: 'track_event',
  generation_failure: 'gen_event',
  generation_rejection: 'gen_event',
  list_unsubscribe: 'unsubscribe_event',
  link_unsubscribe: 'unsubscribe_event',
};

// ---------------------------------------------------------------------------------------------------
// Reference data: recipients' domains and providers, campaigns, subjects, reasons, agents, places.

interface DomainInfo {
  readonly domain: string;
  readonly provider: string;
  readonly region: string;
  /** First octets of the provider's MX addresses. */
  readonly mx: string;
}

const FREEMAIL: ReadonlyArray<readonly [DomainInfo, number]> = [
  [{ domain: 'gmail.com', provider: 'Gmail', region: 'Global', mx: '142.250' }, 30],
  [{ domain: 'yahoo.com', provider: 'Verizon Media Group', region: 'North America - USA', mx: '67.195' }, 8],
  [
    {
      domain: 'mail.yahoo.com',
      provider: 'Verizon Media Group',
      region: 'North America - USA',
      mx: '98.136',
    },
    0.6,
  ],
  [{ domain: 'yahoo.co.uk', provider: 'Verizon Media Group', region: 'Europe - UK', mx: '87.248' }, 2],
  [{ domain: 'aol.com', provider: 'Verizon Media Group', region: 'North America - USA', mx: '67.195' }, 2],
  [{ domain: 'hotmail.com', provider: 'Hotmail', region: 'Global', mx: '104.47' }, 7],
  [{ domain: 'outlook.com', provider: 'Hotmail', region: 'Global', mx: '52.101' }, 6],
  [{ domain: 'hotmail.co.uk', provider: 'Hotmail', region: 'Europe - UK', mx: '104.47' }, 1.5],
  [{ domain: 'live.com', provider: 'Hotmail', region: 'Global', mx: '104.47' }, 1.5],
  [{ domain: 'msn.com', provider: 'Hotmail', region: 'North America - USA', mx: '104.47' }, 1],
  [{ domain: 'icloud.com', provider: 'Apple', region: 'Global', mx: '17.57' }, 5],
  [{ domain: 'me.com', provider: 'Apple', region: 'Global', mx: '17.57' }, 1],
  [{ domain: 'comcast.net', provider: 'Comcast', region: 'North America - USA', mx: '96.114' }, 1.5],
  [{ domain: 'att.net', provider: 'AT&T', region: 'North America - USA', mx: '144.160' }, 1],
  [
    { domain: 'verizon.net', provider: 'Verizon Media Group', region: 'North America - USA', mx: '67.195' },
    0.5,
  ],
  [{ domain: 'gmx.de', provider: 'United Internet', region: 'Europe - Germany', mx: '212.227' }, 1.5],
  [{ domain: 'web.de', provider: 'United Internet', region: 'Europe - Germany', mx: '212.227' }, 1.5],
  [{ domain: 't-online.de', provider: 'Deutsche Telekom', region: 'Europe - Germany', mx: '194.25' }, 1],
  [{ domain: 'orange.fr', provider: 'Orange', region: 'Europe - France', mx: '80.12' }, 1],
  [{ domain: 'free.fr', provider: 'Free', region: 'Europe - France', mx: '212.27' }, 0.7],
  [{ domain: 'libero.it', provider: 'Italiaonline', region: 'Europe - Italy', mx: '213.209' }, 0.5],
  [{ domain: 'btinternet.com', provider: 'BT', region: 'Europe - UK', mx: '65.20' }, 0.7],
  [{ domain: 'protonmail.com', provider: 'Proton Mail', region: 'Europe - Switzerland', mx: '185.70' }, 0.7],
  [{ domain: 'yandex.ru', provider: 'Yandex', region: 'Europe - Russia', mx: '77.88' }, 0.5],
];
const CORPORATE_SHARE = 0.25;
const CORPORATE_WORDS = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'stark',
  'wayne',
  'hooli',
  'vandelay',
  'tyrell',
  'cyberdyne',
  'soylent',
  'wonka',
  'gringotts',
  'oscorp',
  'aperture',
  'blue',
  'north',
  'river',
  'summit',
  'pioneer',
  'atlas',
  'nova',
  'vertex',
  'harbor',
  'maple',
  'cedar',
  'granite',
  'silver',
  'falcon',
  'orbit',
  'prime',
  'delta',
  'apex',
  'lumen',
  'quantum',
  'zenith',
  'crescent',
  'evergreen',
  'redwood',
  'bright',
];
const CORPORATE_SUFFIXES = [
  ['-corp.com', ''],
  ['-group.co.uk', ''],
  ['.io', ''],
  ['-labs.com', ''],
  ['-gmbh.de', ''],
  ['-partners.com', ''],
  ['.net', ''],
  ['-systems.com', ''],
  ['-consulting.fr', ''],
  ['_holdings.com', ''],
] as const;
const CORPORATE_PROVIDERS = [
  ['Gsuite', 'Global', '142.250'],
  ['Office 365', 'Global', '40.107'],
  ['Office 365', 'Europe - UK', '40.107'],
  ['Mimecast', 'Europe - UK', '207.82'],
  ['Proofpoint', 'North America - USA', '148.163'],
  ['Other', 'North America - USA', '198.51'],
] as const;

const FIRST_NAMES = [
  'emma',
  'liam',
  'olivia',
  'noah',
  'ava',
  'elijah',
  'sophia',
  'james',
  'isabella',
  'lucas',
  'mia',
  'mason',
  'amelia',
  'ethan',
  'harper',
  'logan',
  'evelyn',
  'aiden',
  'abigail',
  'jackson',
  'emily',
  'sebastian',
  'ella',
  'mateo',
  'chloe',
  'jack',
  'luna',
  'owen',
  'sofia',
  'leo',
  'hannah',
  'lena',
  'jonas',
  'marie',
  'paul',
  'lea',
  'felix',
  'camille',
  'hugo',
  'giulia',
  'marco',
  'yuki',
  'priya',
  'arjun',
  'fatima',
  'omar',
  'chen',
  'wei',
  'anna',
  'lars',
  'ingrid',
  'pedro',
  'lucia',
  'diego',
];
const LAST_NAMES = [
  'smith',
  'johnson',
  'williams',
  'brown',
  'jones',
  'garcia',
  'miller',
  'davis',
  'rodriguez',
  'martinez',
  'hernandez',
  'lopez',
  'wilson',
  'anderson',
  'thomas',
  'taylor',
  'moore',
  'jackson',
  'martin',
  'lee',
  'thompson',
  'white',
  'harris',
  'clark',
  'lewis',
  'walker',
  'hall',
  'young',
  'king',
  'wright',
  'mueller',
  'schmidt',
  'schneider',
  'fischer',
  'weber',
  'dubois',
  'moreau',
  'rossi',
  'russo',
  'tanaka',
  'sato',
  'patel',
  'singh',
  'khan',
  'nguyen',
  'kim',
  'park',
  'olsen',
  'hansen',
  'silva',
  'santos',
  'costa',
];
const PLANS = ['free', 'pro', 'business', 'enterprise', 'trial'] as const;
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'it-IT', 'es-ES', 'nl-NL', 'ja-JP'] as const;
const TAGS = [
  'newsletter',
  'vip',
  'eu',
  'us',
  'promo',
  'trial',
  'churn-risk',
  'beta_tester',
  'mobile',
] as const;
const RARE_TAG = 'early_access';
const RARE_TAG_EVERY = 997;

interface Campaign {
  readonly id: string;
  readonly templates: readonly string[];
  readonly subjects: readonly string[];
  readonly transactional: boolean;
  readonly links: readonly (readonly [string, string])[];
  readonly abTest?: string;
}

const MARKETING: ReadonlyArray<readonly [Campaign, number]> = [
  [
    campaign(
      'black-friday_2024',
      ['tpl_bf-2024_hero', 'tpl_bf-2024_grid'],
      [
        'Black Friday starts now: {pct}% off everything',
        '{First}, your Black Friday deals are waiting',
        'Last chance: Black Friday ends at midnight',
      ],
      false,
      [
        ['Shop the sale', 'sale/black-friday'],
        ['See all deals', 'deals'],
      ],
    ),
    3,
  ],
  [
    campaign(
      'cyber-monday_2024',
      ['tpl_cyber-monday'],
      ['Cyber Monday: {pct}% off {product} today only', 'Extra {pct}% off for Cyber Monday, {First}'],
      false,
      [['Shop now', 'sale/cyber-monday']],
    ),
    2,
  ],
  [
    campaign(
      'weekly_digest',
      ['weekly-digest_v12', 'weekly-digest_v13'],
      [
        'Your weekly digest: {n} new stories picked for you',
        'This week at Acme: {product} and {n} more updates',
      ],
      false,
      [
        ['Read more', 'blog/weekly'],
        ['Open the digest', 'digest'],
      ],
      'subject-line_test-7',
    ),
    4,
  ],
  [
    campaign(
      'product-update_v2',
      ['product_update-2024'],
      ['New in Acme: {product} is here', 'Meet the new {product}: faster, lighter, better'],
      false,
      [['Learn more', 'products/new']],
    ),
    2,
  ],
  [
    campaign(
      'spring_sale-eu',
      ['tpl_spring-sale_eu'],
      ['Frühlingsangebote: bis zu {pct}% Rabatt', 'Spring sale: up to {pct}% off across Europe'],
      false,
      [
        ['Zum Shop', 'de/sale'],
        ['Shop now', 'eu/sale'],
      ],
    ),
    1.5,
  ],
  [
    campaign(
      'winback_90-days',
      ['winback_v4'],
      ['We miss you, {First}: here is {pct}% off', 'Come back and save {pct}% on your next order'],
      false,
      [['Claim my discount', 'account/offers']],
    ),
    1.5,
  ],
  [
    campaign(
      'onboarding-day_3',
      ['onboarding_step-2'],
      ['{First}, get the most out of your account', '3 tips to get started with Acme'],
      false,
      [
        ['Get started', 'start'],
        ['Watch the video', 'videos/intro'],
      ],
    ),
    2,
  ],
  [
    campaign(
      'onboarding-day_7',
      ['onboarding_step-3'],
      ['One week in: here is what you can do next', '{First}, have you tried {product} yet?'],
      false,
      [['Try it', 'start/next']],
    ),
    1.5,
  ],
  [
    campaign(
      'newsletter_2024-11',
      ['newsletter_monthly'],
      ['The November newsletter: {product}, events and more', 'Acme monthly: {n} things you missed'],
      false,
      [['Read the newsletter', 'newsletter/2024-11']],
    ),
    2.5,
  ],
  [
    campaign(
      'flash-sale_electronics',
      ['tpl_flash-sale'],
      ['Flash sale: {product} at {pct}% off for 6 hours', 'Hurry, {First}: flash sale on electronics'],
      false,
      [['Shop electronics', 'c/electronics']],
    ),
    1.5,
  ],
  [
    campaign(
      'loyalty-points_reminder',
      ['loyalty_reminder-v2'],
      ['You have {n} loyalty points waiting', '{First}, your points expire soon'],
      false,
      [['Use my points', 'account/points']],
    ),
    1,
  ],
  [
    campaign(
      'webinar_invite-q4',
      ['webinar-invite_2024'],
      ['Join our live webinar: scaling email with {product}', 'Webinar invitation: {product} deep dive'],
      false,
      [['Register', 'events/webinar']],
    ),
    0.8,
  ],
];

const TRANSACTIONAL: ReadonlyArray<readonly [Campaign, number]> = [
  [
    campaign(
      'order_confirmation',
      ['order-confirmation_v7'],
      ['Order #{order} confirmed – thank you, {First}!', 'Thanks for your order #{order}'],
      true,
      [['View order', 'account/orders']],
    ),
    4,
  ],
  [
    campaign(
      'shipping-update',
      ['shipping_update-v3'],
      ['Your order #{order} has shipped', 'Out for delivery: order #{order}', 'Delivered: order #{order}'],
      true,
      [['Track package', 'track']],
    ),
    4,
  ],
  [
    campaign(
      'password-reset',
      ['password-reset_v3'],
      ['Reset your password', 'Your password reset code is {code}'],
      true,
      [['Reset password', 'account/reset']],
    ),
    1.5,
  ],
  [
    campaign(
      'account-verification',
      ['verify_email-v2'],
      ['Please verify your email address', 'Confirm your Acme account, {First}'],
      true,
      [['Verify email', 'account/verify']],
    ),
    1,
  ],
  [
    campaign(
      'login_alert',
      ['security_login-alert'],
      ['New sign-in to your account from {city}', 'Security alert: new device signed in'],
      true,
      [['Review activity', 'account/security']],
    ),
    0.8,
  ],
  [
    campaign(
      'receipt_monthly',
      ['receipt_invoice-v5'],
      ['Your receipt from Acme Store (#{order})', 'Invoice {code} for your subscription'],
      true,
      [['Download invoice', 'account/invoices']],
    ),
    1.2,
  ],
];

function campaign(
  id: string,
  templates: string[],
  subjects: string[],
  transactional: boolean,
  links: Array<[string, string]>,
  abTest?: string,
): Campaign {
  return { id, templates, subjects, transactional, links, ...(abTest ? { abTest } : {}) };
}

const PRODUCTS = [
  'Acme Air 3',
  'noise-cancelling headphones',
  'smart home kits',
  'Pro plan',
  'Acme Watch SE',
  'running shoes',
  'travel backpacks',
  'wireless chargers',
  '4K monitors',
  'team workspaces',
  'Acme mobile app',
  'gift cards',
  'espresso machines',
  'winter jackets',
];
const CITIES = [
  ['US', 'CA', 'San Francisco', 37.7749, -122.4194, '94103'],
  ['US', 'NY', 'New York', 40.7128, -74.006, '10001'],
  ['US', 'TX', 'Austin', 30.2672, -97.7431, '73301'],
  ['US', 'IL', 'Chicago', 41.8781, -87.6298, '60601'],
  ['US', 'WA', 'Seattle', 47.6062, -122.3321, '98101'],
  ['US', 'MD', 'Columbia', 39.1749, -76.8375, '21046'],
  ['US', 'GA', 'Atlanta', 33.749, -84.388, '30301'],
  ['US', 'CO', 'Denver', 39.7392, -104.9903, '80201'],
  ['US', 'MA', 'Boston', 42.3601, -71.0589, '02108'],
  ['US', 'FL', 'Miami', 25.7617, -80.1918, '33101'],
  ['GB', 'ENG', 'London', 51.5072, -0.1276, 'EC1A'],
  ['GB', 'ENG', 'Manchester', 53.4808, -2.2426, 'M1'],
  ['DE', 'BE', 'Berlin', 52.52, 13.405, '10115'],
  ['DE', 'BY', 'Munich', 48.1351, 11.582, '80331'],
  ['DE', 'HH', 'Hamburg', 53.5511, 9.9937, '20095'],
  ['FR', 'IDF', 'Paris', 48.8566, 2.3522, '75001'],
  ['FR', 'ARA', 'Lyon', 45.764, 4.8357, '69001'],
  ['IT', '25', 'Milan', 45.4642, 9.19, '20121'],
  ['ES', 'MD', 'Madrid', 40.4168, -3.7038, '28001'],
  ['NL', 'NH', 'Amsterdam', 52.3676, 4.9041, '1012'],
  ['CA', 'ON', 'Toronto', 43.6532, -79.3832, 'M5H'],
  ['JP', '13', 'Tokyo', 35.6762, 139.6503, '100-0001'],
  ['IN', 'KA', 'Bangalore', 12.9716, 77.5946, '560001'],
  ['AU', 'NSW', 'Sydney', -33.8688, 151.2093, '2000'],
] as const;
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)',
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
  'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];
const ACCEPT_LANGUAGES = ['en-US,en;q=0.9', 'en-GB,en;q=0.8', 'de-DE,de;q=0.9,en;q=0.6', 'fr-FR,fr;q=0.9'];

interface ReasonTemplate {
  readonly raw: string;
  readonly bounceClass: string;
  readonly code: string;
}

/** `{ip}`, `{addr}`, `{gid}`, `{host}`, `{domain}` are filled per event; `reason` masks ip and address. */
const BOUNCES = new Weighted<ReasonTemplate>([
  [
    {
      code: '550',
      bounceClass: '10',
      raw: "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550-5.1.1 unnecessary spaces. Learn more at\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser {gid} - gsmtp",
    },
    5,
  ],
  [
    {
      code: '550',
      bounceClass: '10',
      raw: '550 5.1.1 <{addr}>: Recipient address rejected: User unknown in virtual mailbox table',
    },
    3,
  ],
  [
    {
      code: '550',
      bounceClass: '10',
      raw: '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [{host}.eop-EUR01.prod.protection.outlook.com]',
    },
    2,
  ],
  [
    {
      code: '554',
      bounceClass: '50',
      raw: '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes',
    },
    1.5,
  ],
  [
    {
      code: '552',
      bounceClass: '22',
      raw: "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please direct the recipient to\r\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm {gid} - gsmtp",
    },
    1,
  ],
  [
    {
      code: '550',
      bounceClass: '51',
      raw: "550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [{host}.namprd04.prod.outlook.com]",
    },
    1,
  ],
  [
    {
      code: '554',
      bounceClass: '51',
      raw: '554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}',
    },
    0.6,
  ],
  [
    { code: '550', bounceClass: '21', raw: '550 5.1.2 Host unknown (Name server: {domain}: host not found)' },
    0.5,
  ],
  [
    {
      code: '550',
      bounceClass: '50',
      raw: '550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked. {gid} - gsmtp',
    },
    0.4,
  ],
]);
const DELAYS = new Weighted<ReasonTemplate>([
  [
    {
      code: '421',
      bounceClass: '20',
      raw: '421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    },
    3,
  ],
  [{ code: '451', bounceClass: '20', raw: '451 4.7.1 Greylisting in action, please come back later' }, 2],
  [
    {
      code: '452',
      bounceClass: '22',
      raw: "452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to\r\n452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp {gid} - gsmtp",
    },
    2,
  ],
  [
    {
      code: '421',
      bounceClass: '20',
      raw: '421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address [{ip}]. {gid} - gsmtp',
    },
    1,
  ],
  [{ code: '450', bounceClass: '20', raw: '450 4.2.1 Mailbox temporarily unavailable: {addr}' }, 1],
  [
    {
      code: '421',
      bounceClass: '24',
      raw: '421 4.4.1 [internal] No MXs for this domain could be reached at this time',
    },
    1,
  ],
]);
const OUT_OF_BAND: ReasonTemplate = {
  code: '550',
  bounceClass: '10',
  raw: 'smtp;550 5.1.1 <{addr}>... User unknown (reported by {host}.mx.{domain} at {ip})',
};
const POLICY: ReasonTemplate = {
  code: '554',
  bounceClass: '25',
  raw: '554 5.7.1 recipient address suppressed due to customer policy',
};
const GEN_FAILURE: ReasonTemplate = {
  code: '550',
  bounceClass: '25',
  raw: "550 5.3.0 [internal] Generation failure: template rendering failed: substitution value 'order_total' is missing",
};

const IP_POOLS = {
  marketing: ['marketing_pool-1', 'marketing_pool-2', 'warmup_new-ips'],
  transactional: ['transactional-pool'],
} as const;
const POOL_IPS: Record<string, readonly string[]> = {
  'marketing_pool-1': ['52.39.182.248', '52.39.182.249', '52.39.182.250', '52.39.182.251'],
  'marketing_pool-2': ['35.160.182.156', '35.160.182.157', '35.160.182.158'],
  'warmup_new-ips': ['34.208.10.21', '34.208.10.22'],
  'transactional-pool': ['52.39.26.144', '52.39.26.145', '52.39.26.146'],
};

// ---------------------------------------------------------------------------------------------------

interface Recipient {
  readonly address: string;
  readonly raw: string;
  readonly domain: DomainInfo;
  readonly hash: string;
  readonly first: string;
  readonly meta: Record<string, string>;
  readonly tags: string[];
  readonly geo: (typeof CITIES)[number];
  readonly agent: string;
}

interface Message {
  readonly id: string;
  readonly transmissionId: string;
  readonly campaign: Campaign;
  readonly template: string;
  readonly subject: string;
  readonly recipient: Recipient;
  readonly injectedAt: number;
  readonly pool: string;
  readonly sendingIp: string;
  readonly msgSize: string;
  readonly msgFrom: string;
  readonly abVersion?: string;
  retries: number;
}

interface Pending {
  readonly t: number;
  readonly seq: number;
  readonly kind: Kind;
  readonly message: Message;
}

interface Blast {
  readonly campaign: Campaign;
  readonly template: string;
  readonly subject: string;
  readonly transmissionId: string;
  readonly pool: string;
  readonly abVersion?: string;
  remaining: number;
}

/** A min-heap of pending events by time, then by insertion order (stable). */
class EventQueue {
  private readonly items: Pending[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Pending | undefined {
    return this.items[0];
  }
  push(item: Pending): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, items[parent] as Pending)) break;
      items[i] = items[parent] as Pending;
      i = parent;
    }
    items[i] = item;
  }
  pop(): Pending | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child =
        right < items.length && before(items[right] as Pending, items[left] as Pending) ? right : left;
      if (!before(items[child] as Pending, last)) break;
      items[i] = items[child] as Pending;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

/** Yields the batches of one run, in time order. */
export function* generateBatches(options: GeneratorOptions): Generator<GeneratedBatch> {
  const generator = new SenderSimulation(options);
  let index = 0;
  for (;;) {
    const elements: WebhookElement[] = [];
    const parts: string[] = [];
    let rawBytes = 0;
    let firstTs = 0;
    let lastTs = 0;
    while (elements.length < options.batchSize) {
      const next = generator.next();
      if (!next) break;
      const json = JSON.stringify(next.element);
      if (elements.length === 0) firstTs = next.ts;
      lastTs = next.ts;
      elements.push(next.element);
      parts.push(json);
      rawBytes += Buffer.byteLength(json);
    }
    if (elements.length === 0) return;
    const body = Buffer.from(`[${parts.join(',')}]`);
    yield { index, batchId: generator.batchId(), elements, body, rawBytes, firstTs, lastTs };
    index += 1;
  }
}

class SenderSimulation {
  private readonly random: Random;
  private readonly queue = new EventQueue();
  private readonly recipients: number;
  private readonly corporate: DomainInfo[];
  private readonly freemail: Weighted<DomainInfo>;
  private readonly marketing = new Weighted(MARKETING);
  private readonly transactional = new Weighted(TRANSACTIONAL);
  private readonly meanGapS: number;
  private readonly blastMedian: number;
  private readonly blasts: Blast[] = [];
  private nextArrivalS: number;
  private emitted = 0;
  private seq = 0;
  private messageCount = 0;
  private eventCounter = 0;

  constructor(private readonly options: GeneratorOptions) {
    this.random = new Random(options.seed);
    const startS = options.startMs / 1000;
    const messages = options.events / EVENTS_PER_MESSAGE;
    this.meanGapS = (options.days * 86_400) / messages;
    // About four messages per recipient over the span: a recipient lookup finds about ten events.
    this.recipients = Math.max(500, Math.round(options.events / 10));
    this.blastMedian = Math.max(40, Math.round((messages * 0.7) / 120));
    this.nextArrivalS = startS;
    this.freemail = new Weighted(FREEMAIL);
    const corporateRandom = new Random(options.seed ^ 0x5bd1e995);
    this.corporate = [];
    const corporateCount = Math.max(50, Math.min(5000, Math.round(this.recipients / 40)));
    for (let i = 0; i < corporateCount; i += 1) {
      const a = corporateRandom.pick(CORPORATE_WORDS);
      const b = corporateRandom.pick(CORPORATE_WORDS);
      const [suffix] = corporateRandom.pick(CORPORATE_SUFFIXES);
      const [provider, region, mx] = corporateRandom.pick(CORPORATE_PROVIDERS);
      const name =
        a === b ? `${a}${i}` : corporateRandom.chance(0.5) ? `${a}${b}` : `${a}-${b}${i % 7 || ''}`;
      this.corporate.push({ domain: `${name}${suffix}`, provider, region, mx });
    }
  }

  /** A UUID-shaped batch id, from the main stream (so it is deterministic too). */
  batchId(): string {
    const h = this.random.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  next(): { ts: number; element: WebhookElement } | undefined {
    if (this.emitted >= this.options.events) return undefined;
    for (;;) {
      const head = this.queue.peek();
      if (head && head.t <= this.nextArrivalS) {
        this.queue.pop();
        this.emitted += 1;
        const ts = Math.floor(head.t) * 1000;
        return { ts, element: this.build(head) };
      }
      this.startMessage(this.nextArrivalS);
      this.nextArrivalS += this.random.exponential(this.meanGapS);
    }
  }

  private schedule(t: number, kind: Kind, message: Message): void {
    this.queue.push({ t, seq: this.seq++, kind, message });
  }

  /** One message and its whole lifecycle, scheduled from its injection time. */
  private startMessage(t0: number): void {
    const r = this.random;
    const message = this.newMessage(t0);
    if (r.chance(0.0012)) {
      this.schedule(t0, r.chance(0.3) ? 'generation_failure' : 'generation_rejection', message);
      return;
    }
    if (r.chance(0.003)) {
      this.schedule(t0, 'policy_rejection', message);
      return;
    }
    this.schedule(t0, 'injection', message);
    let t = t0 + r.int(1, 25) + r.next();
    if (r.chance(0.045)) {
      this.schedule(t, 'delay', message);
      while (r.chance(0.3)) {
        t += r.int(600, 3600);
        this.schedule(t, 'delay', message);
      }
      t += r.int(900, 4 * 3600);
      if (r.chance(0.12)) {
        this.schedule(t, 'bounce', message);
        return;
      }
    } else if (r.chance(0.026)) {
      this.schedule(t, 'bounce', message);
      return;
    }
    this.schedule(t, 'delivery', message);
    const delivered = t;
    if (r.chance(0.002)) this.schedule(delivered + r.int(60, 3600), 'out_of_band', message);
    const opener = r.chance(message.campaign.transactional ? 0.45 : 0.24);
    if (opener) {
      let open = delivered + Math.min(r.logNormal(2400, 1.6), 5 * 86_400);
      if (r.chance(0.15)) this.schedule(open - r.int(0, 2), 'initial_open', message);
      this.schedule(open, 'open', message);
      if (r.chance(0.28)) {
        let click = open + r.int(3, 240);
        this.schedule(click, 'click', message);
        if (r.chance(0.2)) {
          click += r.int(10, 900);
          this.schedule(click, 'click', message);
        }
        if (r.chance(0.006)) this.schedule(click + r.int(2, 30), 'link_unsubscribe', message);
      }
      while (r.chance(0.3)) {
        open += r.logNormal(3 * 3600, 1.2);
        this.schedule(open, 'open', message);
      }
    }
    if (r.chance(0.0015)) this.schedule(delivered + r.logNormal(4 * 3600, 1), 'spam_complaint', message);
    if (!message.campaign.transactional && r.chance(0.002))
      this.schedule(delivered + r.logNormal(8 * 3600, 1), 'list_unsubscribe', message);
  }

  private newMessage(t0: number): Message {
    const r = this.random;
    const recipient = this.recipient(r.int(0, this.recipients - 1));
    this.messageCount += 1;
    const id = `${(this.messageCount * 40_503 + 0x100000).toString(16).padStart(10, '0')}${r.hex(10)}`;
    const msgFrom = `msprvs1=${r.hex(6)}${r.digits(5)}=bounces-${CUSTOMER_ID}@sparkpostmail.com`;
    const msgSize = String(Math.round(r.logNormal(24_000, 0.5)));
    if (r.chance(0.3)) {
      const c = this.transactional.draw(r);
      return {
        id,
        transmissionId: `${r.int(1, 9)}${r.digits(16)}`,
        campaign: c,
        template: r.pick(c.templates),
        subject: this.fill(r.pick(c.subjects), recipient),
        recipient,
        injectedAt: t0,
        pool: 'transactional-pool',
        sendingIp: r.pick(POOL_IPS['transactional-pool'] as readonly string[]),
        msgSize,
        msgFrom,
        retries: 0,
      };
    }
    const blast = this.blast();
    blast.remaining -= 1;
    return {
      id,
      transmissionId: blast.transmissionId,
      campaign: blast.campaign,
      template: blast.template,
      subject: blast.subject.replaceAll('{First}', capitalise(recipient.first)),
      recipient,
      injectedAt: t0,
      pool: blast.pool,
      sendingIp: r.pick(POOL_IPS[blast.pool] as readonly string[]),
      msgSize,
      msgFrom,
      ...(blast.abVersion ? { abVersion: blast.abVersion } : {}),
      retries: 0,
    };
  }

  /** Marketing sends go out as blasts: one transmission, one subject, thousands of recipients. */
  private blast(): Blast {
    const r = this.random;
    const live = this.blasts.filter((b) => b.remaining > 0);
    this.blasts.length = 0;
    this.blasts.push(...live);
    while (this.blasts.length < 2) {
      const c = this.marketing.draw(r);
      const subject = this.fill(r.pick(c.subjects), undefined);
      this.blasts.push({
        campaign: c,
        template: r.pick(c.templates),
        subject,
        transmissionId: `${r.int(1, 9)}${r.digits(16)}`,
        pool: r.chance(0.1) ? 'warmup_new-ips' : r.pick(IP_POOLS.marketing.slice(0, 2)),
        ...(c.abTest ? { abVersion: String(r.int(1, 3)) } : {}),
        remaining: Math.max(10, Math.round(r.logNormal(this.blastMedian, 0.6))),
      });
    }
    return r.pick(this.blasts);
  }

  /** Fills a subject template; `{First}` stays when no recipient is known yet (blasts personalise later). */
  private fill(template: string, recipient: Recipient | undefined): string {
    const r = this.random;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
      switch (name) {
        case 'pct':
          return String(r.pick([10, 15, 20, 25, 30, 40, 50, 60, 70]));
        case 'n':
          return String(r.int(3, 12));
        case 'product':
          return r.pick(PRODUCTS);
        case 'order':
          return String(r.int(1_000_000, 9_999_999));
        case 'code':
          return `${r.int(100, 999)}-${r.int(100, 999)}`;
        case 'city':
          return r.pick(CITIES)[2];
        case 'First':
          return recipient ? capitalise(recipient.first) : whole;
        default:
          return whole;
      }
    });
  }

  /** Recipient `i`: a pure function of the seed and `i`, so the pool needs no memory. */
  private recipient(i: number): Recipient {
    const r = new Random((this.options.seed * 0x9e3779b1) ^ (i * 0x85ebca6b) ^ i);
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const domain = r.chance(CORPORATE_SHARE) ? r.pick(this.corporate) : this.freemail.draw(r);
    const pattern = i % 4;
    const suffix = String(i);
    const local =
      pattern === 0
        ? `${first}.${last}${suffix}`
        : pattern === 1
          ? `${first[0]}${last}${suffix}`
          : pattern === 2
            ? `${first}_${last}.${suffix}`
            : `${last}.${first}${suffix}`;
    const address = `${local}@${domain.domain}`;
    const raw = r.chance(0.08) ? `${capitalise(local)}@${capitalise(domain.domain)}` : address;
    const tags: string[] = [];
    for (let k = r.int(1, 3); k > 0; k -= 1) {
      const tag = r.pick(TAGS);
      if (!tags.includes(tag)) tags.push(tag);
    }
    // A rare tag (one recipient in RARE_TAG_EVERY), without a draw, so that the rest of the data stays
    // the same: what a `tags=` filter for a small segment finds.
    if (i % RARE_TAG_EVERY === 0) tags.push(RARE_TAG);
    return {
      address,
      raw,
      domain,
      hash: createHash('sha1').update(address).digest('hex'),
      first,
      meta: {
        user_id: `u_${(i * 7919 + 104_729).toString(36)}`,
        plan: r.pick(PLANS),
        locale: r.pick(LOCALES),
      },
      tags,
      geo: r.pick(CITIES),
      agent: r.pick(USER_AGENTS),
    };
  }

  private eventId(): string {
    this.eventCounter += 1;
    // Decimal like SparkPost's ids, unique through the counter, below 2^63 (the 2017 schema's bigint).
    return `${this.random.int(1, 8)}${String(this.eventCounter).padStart(10, '0')}${this.random.digits(6)}`;
  }

  private build(p: Pending): WebhookElement {
    const r = this.random;
    const m = p.message;
    const rc = m.recipient;
    const t = Math.floor(p.t);
    const event: Record<string, unknown> = {
      type: p.kind,
      event_id: this.eventId(),
      timestamp: String(t),
    };
    const generation = p.kind === 'generation_failure' || p.kind === 'generation_rejection';
    if (!generation) event.message_id = m.id;
    event.transmission_id = m.transmissionId;
    event.campaign_id = m.campaign.id;
    event.template_id = m.template;
    event.template_version = '0';
    event.customer_id = CUSTOMER_ID;
    event.subaccount_id = m.campaign.transactional ? '1' : '2';
    event.friendly_from = m.campaign.transactional ? 'no-reply@acme-store.com' : 'news@mail.acme-store.com';
    event.sending_domain = m.campaign.transactional ? 'acme-store.com' : 'mail.acme-store.com';
    event.msg_from = m.msgFrom;
    event.rcpt_to = rc.address;
    event.raw_rcpt_to = rc.raw;
    event.rcpt_hash = rc.hash;
    event.recipient_domain = rc.domain.domain;
    event.routing_domain = rc.domain.domain;
    event.mailbox_provider = rc.domain.provider;
    event.mailbox_provider_region = rc.domain.region;
    event.rcpt_meta = m.campaign.transactional ? { ...rc.meta, order_id: `o_${m.id.slice(10)}` } : rc.meta;
    event.rcpt_tags = rc.tags;
    if (generation) {
      event.rcpt_subs = { first_name: capitalise(rc.first), locale: rc.meta.locale };
    }
    if (p.kind !== 'generation_failure') event.subject = m.subject;
    event.ip_pool = m.pool;
    event.sending_ip = m.sendingIp;
    if (!generation && p.kind !== 'policy_rejection') {
      event.msg_size = m.msgSize;
      event.injection_time = new Date(m.injectedAt * 1000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    }
    event.recv_method = 'rest';
    if (m.campaign.transactional) event.transactional = '1';
    if (m.abVersion) {
      event.ab_test_id = m.campaign.abTest;
      event.ab_test_version = m.abVersion;
    }
    event.click_tracking = true;
    event.open_tracking = true;
    const queueTime = () => String(Math.max(1, Math.round((t - m.injectedAt) * 1000)));
    const mx = () => `${rc.domain.mx}.${r.int(1, 254)}.${r.int(1, 254)}`;
    switch (p.kind) {
      case 'delivery':
        event.delv_method = 'esmtp';
        event.ip_address = mx();
        event.num_retries = String(m.retries);
        event.outbound_tls = '1';
        event.queue_time = queueTime();
        break;
      case 'delay':
      case 'bounce':
      case 'out_of_band': {
        const template =
          p.kind === 'delay' ? DELAYS.draw(r) : p.kind === 'bounce' ? BOUNCES.draw(r) : OUT_OF_BAND;
        Object.assign(event, this.reason(template, m));
        event.delv_method = 'esmtp';
        event.ip_address = mx();
        event.num_retries = String(m.retries);
        event.queue_time = queueTime();
        if (p.kind === 'delay') {
          event.outbound_tls = '1';
          m.retries += 1;
        }
        break;
      }
      case 'policy_rejection':
        Object.assign(event, this.reason(POLICY, m));
        event.remote_addr = '10.4.12.30';
        break;
      case 'generation_failure':
      case 'generation_rejection':
        Object.assign(event, this.reason(p.kind === 'generation_failure' ? GEN_FAILURE : POLICY, m));
        break;
      case 'spam_complaint':
        event.delv_method = 'esmtp';
        event.fbtype = 'abuse';
        event.report_by = `fbl.${rc.domain.domain}`;
        event.report_to = 'fbl@sparkpostmail.com';
        event.num_retries = '0';
        event.queue_time = queueTime();
        break;
      case 'open':
      case 'initial_open':
      case 'click':
      case 'link_unsubscribe': {
        const [country, region, city, latitude, longitude, zip] = rc.geo;
        event.delv_method = 'esmtp';
        event.ip_address = `${r.int(24, 220)}.${r.int(1, 254)}.${r.int(1, 254)}.${r.int(1, 254)}`;
        event.user_agent = rc.agent;
        if (p.kind !== 'link_unsubscribe') {
          event.geo_ip = { country, region, city, latitude, longitude, zip, postal_code: zip };
        }
        if (p.kind === 'click' || p.kind === 'link_unsubscribe') {
          const [name, path] =
            p.kind === 'link_unsubscribe'
              ? ['Unsubscribe', 'email/unsubscribe']
              : (r.pick(m.campaign.links) as readonly [string, string]);
          event.accept_language = r.pick(ACCEPT_LANGUAGES);
          event.target_link_name = name;
          event.target_link_url = `https://www.acme-store.com/${path}?utm_source=sparkpost&utm_medium=email&utm_campaign=${m.campaign.id}&uid=${rc.meta.user_id}`;
        }
        break;
      }
      case 'list_unsubscribe':
        event.mailfrom = rc.address;
        event.ip_address = mx();
        break;
      case 'injection':
        break;
    }
    return { msys: { [CATEGORY[p.kind]]: event } };
  }

  /** A reason: the raw remote reply with this event's details, and SparkPost's masked version. */
  private reason(template: ReasonTemplate, m: Message): Record<string, string> {
    const r = this.random;
    const ip = m.sendingIp;
    const raw = template.raw
      .replaceAll('{ip}', ip)
      .replaceAll('{addr}', m.recipient.address)
      .replaceAll('{gid}', `${r.hex(2)}${r.digits(8)}${r.hex(3)}.${r.int(10, 999)}`)
      .replaceAll('{host}', `${r.hex(2).toUpperCase()}${r.digits(1)}PR0${r.digits(1)}MB${r.digits(4)}`)
      .replaceAll('{domain}', m.recipient.domain.domain);
    const reason = raw.replaceAll(ip, 'a.b.c.d').replaceAll(m.recipient.address, '...@...');
    return {
      bounce_class: template.bounceClass,
      error_code: template.code,
      reason: reason.length > 255 ? `${reason.slice(0, 252)}...` : reason,
      raw_reason: raw,
    };
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The flat event inside an element (the first object under `msys`). */
export function flatEvent(element: WebhookElement): Record<string, unknown> {
  for (const value of Object.values(element.msys)) return value;
  return {};
}
