import { type Type } from '@nestjs/common';
import {
  ApiProperty,
  ApiPropertyOptional,
  getSchemaPath,
  type SchemaObject,
} from '@nestjs/swagger';

/** The named schema every module `config` refers to; the OpenAPI document builds it from the registry. */
export const MODULE_CONFIG_SCHEMA = 'ModuleConfig';

/** Documents a `config` property as the ModuleConfig schema. */
export function ApiModuleConfig(options: { required: boolean }): PropertyDecorator {
  const schema = {
    description: "The module type's configuration: its shape depends on the instance's `type`.",
    allOf: [{ $ref: getSchemaPath(MODULE_CONFIG_SCHEMA) }],
  };
  return options.required ? ApiProperty(schema) : ApiPropertyOptional(schema);
}

/**
 * `anyOf` the config schema of each registered type. Not `oneOf`: which shape applies is decided by
 * `type`, a sibling of `config`, and a config with no required field (handover's) matches every
 * other type's config too, so strict validators would refuse valid bodies under `oneOf`.
 */
export function moduleConfigSchema(configClasses: [string, Type<object>][]): SchemaObject {
  const shapes = configClasses.map(([type, dto]) => `\`${type}\`: ${dto.name}`).join('; ');
  return {
    description: `Configuration of a module instance; its shape depends on the instance's \`type\`. ${shapes}.`,
    anyOf: configClasses.map(([, dto]) => ({ $ref: getSchemaPath(dto) })),
  };
}
