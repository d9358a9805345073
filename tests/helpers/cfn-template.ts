import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const TEMPLATE_PATH = join(ROOT, 'template.yaml');

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is arbitrary JSON; tests read it.
export type Json = any;

/** CloudFormation's short-form intrinsic functions, as the long form the service sees. */
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'Contains',
  'FindInMap',
  'GetAZs',
  'GetAtt',
  'If',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Equals',
  'Not',
  'And',
  'Or',
  'Transform',
] as const;

function longForm(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

const cfnTags: (ScalarTag | CollectionTag)[] = ['Ref', 'Condition', ...FUNCTIONS].flatMap((name) => {
  const key = longForm(name);
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (value: string) =>
      // `!GetAtt Resource.Attribute` is the list [Resource, Attribute.With.Dots] in long form.
      name === 'GetAtt'
        ? { [key]: [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] }
        : { [key]: value },
  };
  const seq: CollectionTag = {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value) => ({ [key]: (value as YAMLSeq).toJSON() }),
  };
  const map: CollectionTag = {
    tag: `!${name}`,
    collection: 'map',
    resolve: (value) => ({ [key]: (value as YAMLMap).toJSON() }),
  };
  return [scalar, seq, map];
});

/** template.yaml as CloudFormation reads it (short tags turned into their long forms). */
export function loadTemplate(path = TEMPLATE_PATH): Json {
  return parse(readFileSync(path, 'utf8'), { customTags: cfnTags, logLevel: 'error' });
}

/** The template's SAM functions, by logical id. */
export function serverlessFunctions(template: Json): [string, Json][] {
  return Object.entries(template.Resources as Record<string, Json>).filter(
    ([, resource]) => resource.Type === 'AWS::Serverless::Function',
  );
}

/**
 * The logical ids a value refers to (Ref, Fn::GetAtt, and `${Name}`/`${Name.Attribute}` in Fn::Sub),
 * including SAM's `Function.Version` form; pseudo parameters excluded.
 */
export function referencesIn(value: Json, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, Json>)) {
      if (key === 'Ref' && typeof inner === 'string') {
        if (!inner.startsWith('AWS::')) into.add(inner.split('.')[0] as string);
      } else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(inner) ? inner[0] : String(inner).split('.')[0];
        into.add(target as string);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        const locals = Array.isArray(inner) ? Object.keys(inner[1] ?? {}) : [];
        for (const match of String(text).matchAll(/\$\{([^}!]+)\}/g)) {
          const name = (match[1] as string).split('.')[0] as string;
          if (!name.startsWith('AWS::') && !locals.includes(name)) into.add(name);
        }
        if (Array.isArray(inner)) referencesIn(inner[1], into);
      } else {
        referencesIn(inner, into);
      }
    }
  }
  return into;
}
